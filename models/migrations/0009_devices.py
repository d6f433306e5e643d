from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import CarrierLock, DeviceCondition, DeviceType
from models.imei_checks import RegistryFlag
from models.price_grid import DeductionKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_team')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CatalogModel',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='catalog_models', on_delete=OnDelete.CASCADE)),
                ('device_type', fields.CharEnumField(description='PHONE: PHONE\nTABLET: TABLET\nLAPTOP: LAPTOP\nSMARTWATCH: SMARTWATCH\nHEADPHONES: HEADPHONES\nCONSOLE: CONSOLE\nCAMERA: CAMERA\nOTHER: OTHER', enum_type=DeviceType, max_length=16)),
                ('brand', fields.CharField(max_length=100)),
                ('model', fields.CharField(max_length=100)),
                ('key', fields.CharField(max_length=201)),
                ('storages', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('colors', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'catalog_model', 'app': 'models', 'unique_together': (('organization', 'key'),), 'indexes': [Index(fields=['key']), Index(fields=['brand', 'model'])], 'pk_attr': 'id', 'table_description': 'One device model of the catalog.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CatalogTac',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='catalog_tacs', on_delete=OnDelete.CASCADE)),
                ('tac', fields.CharField(db_index=True, max_length=8)),
                ('catalog_model', fields.ForeignKeyField('models.CatalogModel', source_field='catalog_model_id', db_constraint=True, to_field='id', related_name='tacs', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'catalog_tac', 'app': 'models', 'unique_together': (('organization', 'tac'),), 'indexes': [Index(fields=['catalog_model_id'])], 'pk_attr': 'id', 'table_description': 'A type allocation code: the first 8 digits of an IMEI, naming the model.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GridDeduction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='grid_deductions', on_delete=OnDelete.CASCADE)),
                ('question', fields.CharField(max_length=100)),
                ('answer', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(description='FIXED: FIXED\nPERCENT: PERCENT', enum_type=DeductionKind, max_length=16)),
                ('amount', fields.DecimalField(max_digits=15, decimal_places=3)),
            ],
            options={'table': 'grid_deduction', 'app': 'models', 'unique_together': (('organization', 'question', 'answer'),), 'pk_attr': 'id', 'table_description': 'Taken off the base price when a line carries this answer to this question.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GridPrice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='grid_prices', on_delete=OnDelete.CASCADE)),
                ('catalog_model', fields.ForeignKeyField('models.CatalogModel', source_field='catalog_model_id', db_constraint=True, to_field='id', related_name='grid_prices', on_delete=OnDelete.CASCADE)),
                ('storage', fields.CharField(default='', max_length=32)),
                ('grade', fields.CharEnumField(description='NEW: NEW\nLIKE_NEW: LIKE_NEW\nGOOD: GOOD\nFAIR: FAIR\nPOOR: POOR\nBROKEN: BROKEN', enum_type=DeviceCondition, max_length=16)),
                ('carrier_lock', fields.CharEnumField(description='UNLOCKED: UNLOCKED\nLOCKED: LOCKED\nUNKNOWN: UNKNOWN', enum_type=CarrierLock, max_length=16)),
                ('base_price', fields.DecimalField(max_digits=15, decimal_places=3)),
                ('floor_price', fields.DecimalField(null=True, max_digits=15, decimal_places=3)),
            ],
            options={'table': 'grid_price', 'app': 'models', 'unique_together': (('organization', 'catalog_model', 'storage', 'grade', 'carrier_lock'),), 'indexes': [Index(fields=['catalog_model_id'])], 'pk_attr': 'id', 'table_description': 'What the organization pays for one model in one storage, grade and carrier lock.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImeiLookupRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='imei_lookups', on_delete=OnDelete.CASCADE)),
                ('quote', fields.ForeignKeyField('models.Quote', source_field='quote_id', null=True, db_constraint=True, to_field='id', related_name='imei_lookups', on_delete=OnDelete.CASCADE)),
                ('imei', fields.CharField(max_length=32)),
                ('by_staff', fields.BooleanField(default=False)),
                ('looked_up_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'imei_lookup', 'app': 'models', 'indexes': [Index(fields=['quote_id', 'by_staff'])], 'pk_attr': 'id', 'table_description': 'One IMEI looked up with `lookupImeis`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InstantOffer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('quote', fields.ForeignKeyField('models.Quote', source_field='quote_id', db_constraint=True, to_field='id', related_name='instant_offers', on_delete=OnDelete.CASCADE)),
                ('line', fields.OneToOneField('models.QuoteLine', source_field='line_id', db_constraint=True, to_field='id', related_name='instant_offer', on_delete=OnDelete.CASCADE)),
                ('amount', fields.DecimalField(max_digits=15, decimal_places=3)),
                ('base_price', fields.DecimalField(max_digits=15, decimal_places=3)),
                ('deductions', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('shown_to_customer', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'instant_offer', 'app': 'models', 'indexes': [Index(fields=['quote_id'])], 'pk_attr': 'id', 'table_description': "The grid's offer for a line, computed once at submission and never recomputed."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PendingCheck',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='pending_imei_checks', on_delete=OnDelete.CASCADE)),
                ('unit', fields.ForeignKeyField('models.DeviceUnit', source_field='unit_id', db_constraint=True, to_field='id', related_name='pending_checks', on_delete=OnDelete.CASCADE)),
                ('imei', fields.CharField(max_length=15)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pending_imei_check', 'app': 'models', 'indexes': [Index(fields=['next_attempt_at']), Index(fields=['unit_id'])], 'pk_attr': 'id', 'table_description': 'A unit whose external check could not run yet: retried by the background jobs.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProviderResult',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='imei_provider_results', on_delete=OnDelete.CASCADE)),
                ('imei', fields.CharField(max_length=15)),
                ('source', fields.CharField(max_length=64)),
                ('flags', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('checked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'imei_provider_result', 'app': 'models', 'unique_together': (('organization', 'imei'),), 'pk_attr': 'id', 'table_description': 'The latest answer of the external checking service for one IMEI, reused for a while.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RegistryEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='imei_registry', on_delete=OnDelete.CASCADE)),
                ('imei', fields.CharField(max_length=15)),
                ('flag', fields.CharEnumField(description='BLACKLISTED: BLACKLISTED\nFINANCE_LOCKED: FINANCE_LOCKED', enum_type=RegistryFlag, max_length=16)),
                ('note', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'imei_registry_entry', 'app': 'models', 'unique_together': (('organization', 'imei', 'flag'),), 'indexes': [Index(fields=['organization_id', 'imei'])], 'pk_attr': 'id', 'table_description': 'An IMEI the organization knows to be blacklisted or finance-locked.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Organization',
            name='show_instant_offers',
            field=fields.BooleanField(default=False),
        ),
        ops.AddIndex(
            model_name='DeviceUnit',
            index=Index(fields=['quote_id', 'line_id']),
        ),
    ]
