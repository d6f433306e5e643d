from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.notification import NotificationKind
from models.enums import (
    MessageKind,
    PayoutMethod,
    PayoutStatus,
    RevisionStatus,
    UnitGrade,
    UnitStatus,
)


class Migration(migrations.Migration):
    dependencies = [('models', '0013_partners')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InventoryUnit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='inventory_units', on_delete=OnDelete.CASCADE)),
                ('buy_order', fields.ForeignKeyField('models.BuyOrder', source_field='buy_order_id', db_constraint=True, to_field='id', related_name='units', on_delete=OnDelete.CASCADE)),
                ('line', fields.ForeignKeyField('models.BuyOrderLine', source_field='line_id', db_constraint=True, to_field='id', related_name='units', on_delete=OnDelete.CASCADE)),
                ('brand', fields.CharField(max_length=100)),
                ('model', fields.CharField(max_length=100)),
                ('storage', fields.CharField(null=True, max_length=32)),
                ('imei', fields.CharField(null=True, max_length=15)),
                ('serial', fields.CharField(null=True, max_length=64)),
                ('status', fields.CharEnumField(default=UnitStatus.EXPECTED, description='EXPECTED: EXPECTED\nRECEIVED: RECEIVED\nRETURNING: RETURNING\nCANCELED: CANCELED', enum_type=UnitStatus, max_length=16)),
                ('price', fields.DecimalField(max_digits=15, decimal_places=3)),
                ('grade', fields.CharEnumField(null=True, description='A: A\nB: B\nC: C\nD: D\nFAULTY: FAULTY', enum_type=UnitGrade, max_length=8)),
                ('notes', fields.TextField(null=True, unique=False)),
                ('check', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('received_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('graded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inventory_unit', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'imei']), Index(fields=['organization_id', 'serial']), Index(fields=['organization_id', 'status', 'model']), Index(fields=['buy_order_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One device of a buy order line: made EXPECTED at conversion, RECEIVED when scanned.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Payout',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='payouts', on_delete=OnDelete.CASCADE)),
                ('buy_order', fields.OneToOneField('models.BuyOrder', source_field='buy_order_id', db_constraint=True, to_field='id', related_name='payout', on_delete=OnDelete.CASCADE)),
                ('currency_code', fields.CharField(max_length=3)),
                ('method', fields.CharEnumField(description='STRIPE: STRIPE\nCHECK: CHECK\nSTORE_CREDIT: STORE_CREDIT', enum_type=PayoutMethod, max_length=16)),
                ('status', fields.CharEnumField(default=PayoutStatus.PENDING, description='PENDING: PENDING\nAPPROVED: APPROVED\nPROCESSING: PROCESSING\nPAID: PAID\nDECLINED: DECLINED', enum_type=PayoutStatus, max_length=16)),
                ('total', fields.DecimalField(max_digits=15, decimal_places=3)),
                ('amount', fields.DecimalField(max_digits=15, decimal_places=3)),
                ('declined_amount', fields.DecimalField(default=0, max_digits=15, decimal_places=3)),
                ('paid_amount', fields.DecimalField(default=0, max_digits=15, decimal_places=3)),
                ('reference', fields.CharField(null=True, max_length=200)),
                ('decline_reason', fields.TextField(null=True, unique=False)),
                ('approved_by', fields.ForeignKeyField('models.StaffMember', source_field='approved_by_id', null=True, db_constraint=True, to_field='id', related_name='approved_payouts', on_delete=OnDelete.SET_NULL)),
                ('approved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('settled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payout', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'status']), Index(fields=['method', 'reference'])], 'pk_attr': 'id', 'table_description': 'The payout obligation of one buy order: its total, what is still due and what was paid.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PayoutEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('payout', fields.ForeignKeyField('models.Payout', source_field='payout_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=32)),
                ('status', fields.CharEnumField(description='PENDING: PENDING\nAPPROVED: APPROVED\nPROCESSING: PROCESSING\nPAID: PAID\nDECLINED: DECLINED', enum_type=PayoutStatus, max_length=16)),
                ('amount', fields.DecimalField(max_digits=15, decimal_places=3)),
                ('note', fields.TextField(null=True, unique=False)),
                ('staff', fields.ForeignKeyField('models.StaffMember', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='payout_entries', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payout_entry', 'app': 'models', 'indexes': [Index(fields=['payout_id', 'id'])], 'pk_attr': 'id', 'table_description': "One step of a payout's history."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReturnShipment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='returns', on_delete=OnDelete.CASCADE)),
                ('unit', fields.OneToOneField('models.InventoryUnit', source_field='unit_id', db_constraint=True, to_field='id', related_name='return_shipment', on_delete=OnDelete.CASCADE)),
                ('buy_order', fields.ForeignKeyField('models.BuyOrder', source_field='buy_order_id', db_constraint=True, to_field='id', related_name='returns', on_delete=OnDelete.CASCADE)),
                ('carrier', fields.CharField(max_length=64)),
                ('tracking_number', fields.CharField(max_length=64)),
                ('label_url', fields.CharField(null=True, max_length=500)),
                ('reason', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'return_shipment', 'app': 'models', 'indexes': [Index(fields=['buy_order_id', 'id'])], 'pk_attr': 'id', 'table_description': "A unit going back to the customer, on the merchant's label (free for the customer)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RevisedOffer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='revised_offers', on_delete=OnDelete.CASCADE)),
                ('quote', fields.ForeignKeyField('models.Quote', source_field='quote_id', db_constraint=True, to_field='id', related_name='revised_offers', on_delete=OnDelete.CASCADE)),
                ('buy_order', fields.ForeignKeyField('models.BuyOrder', source_field='buy_order_id', db_constraint=True, to_field='id', related_name='revised_offers', on_delete=OnDelete.CASCADE)),
                ('unit', fields.ForeignKeyField('models.InventoryUnit', source_field='unit_id', db_constraint=True, to_field='id', related_name='revised_offers', on_delete=OnDelete.CASCADE)),
                ('currency_code', fields.CharField(max_length=3)),
                ('price_before', fields.DecimalField(max_digits=15, decimal_places=3)),
                ('price', fields.DecimalField(max_digits=15, decimal_places=3)),
                ('reasons', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('note', fields.TextField(null=True, unique=False)),
                ('status', fields.CharEnumField(default=RevisionStatus.OPEN, description='OPEN: OPEN\nACCEPTED: ACCEPTED\nDECLINED: DECLINED\nLAPSED: LAPSED', enum_type=RevisionStatus, max_length=16)),
                ('reply_by', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.StaffMember', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='revised_offers', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'revised_offer', 'app': 'models', 'indexes': [Index(fields=['quote_id', 'id']), Index(fields=['status', 'reply_by']), Index(fields=['unit_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A new price for a unit that arrived worse than disclosed, open until the reply window ends.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EvidenceUpload',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='evidence_uploads', on_delete=OnDelete.CASCADE)),
                ('revised_offer', fields.ForeignKeyField('models.RevisedOffer', source_field='revised_offer_id', null=True, db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.SET_NULL)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('uploaded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('storage_key', fields.CharField(null=True, max_length=200)),
                ('content_type', fields.CharField(null=True, max_length=32)),
                ('size', fields.IntField(null=True)),
                ('sha256', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'evidence_upload', 'app': 'models', 'indexes': [Index(fields=['revised_offer_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A staged upload: a short-lived signed URL, used once, then a stored photo.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoreCreditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='store_credit', on_delete=OnDelete.CASCADE)),
                ('customer_email', fields.CharField(max_length=254)),
                ('currency_code', fields.CharField(max_length=3)),
                ('amount', fields.DecimalField(max_digits=15, decimal_places=3)),
                ('payout', fields.ForeignKeyField('models.Payout', source_field='payout_id', null=True, db_constraint=True, to_field='id', related_name='credits', on_delete=OnDelete.SET_NULL)),
                ('note', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'store_credit_entry', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'customer_email'])], 'pk_attr': 'id', 'table_description': "A credit (positive) or a spend (negative) of a customer's store credit, by email."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StripeEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event_id', fields.CharField(unique=True, max_length=255)),
                ('event_type', fields.CharField(max_length=100)),
                ('payout', fields.ForeignKeyField('models.Payout', source_field='payout_id', null=True, db_constraint=True, to_field='id', related_name='stripe_events', on_delete=OnDelete.SET_NULL)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'stripe_event', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A Stripe webhook event handled once: its id is unique.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Organization',
            name='revision_reply_days',
            field=fields.IntField(default=14, db_default=14),
        ),
    ]
