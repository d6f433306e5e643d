from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.engagement import EngagementKind


class Migration(migrations.Migration):
    dependencies = [('models', '0002_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EngagementEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='engagement', on_delete=OnDelete.CASCADE)),
                ('quote', fields.ForeignKeyField('models.Quote', source_field='quote_id', db_constraint=True, to_field='id', related_name='engagement', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='VIEW: VIEW\nPDF_DOWNLOAD: PDF_DOWNLOAD\nRECEIPT_DOWNLOAD: RECEIPT_DOWNLOAD\nEMAIL_SENT: EMAIL_SENT', enum_type=EngagementKind, max_length=20)),
                ('viewer_key', fields.CharField(null=True, max_length=300)),
                ('recipient_email', fields.CharField(null=True, max_length=254)),
                ('user_agent', fields.CharField(null=True, max_length=500)),
                ('client_hash', fields.CharField(null=True, max_length=32)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'engagement_event', 'app': 'models', 'indexes': [Index(fields=['quote_id', 'occurred_at']), Index(fields=['organization_id', 'occurred_at'])], 'pk_attr': 'id', 'table_description': 'One customer interaction (staff reads never count). The client address is kept only as'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QuoteShare',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('quote', fields.ForeignKeyField('models.Quote', source_field='quote_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('recipient_email', fields.CharField(max_length=254)),
                ('recipient_name', fields.CharField(null=True, max_length=200)),
                ('message', fields.TextField(null=True, unique=False)),
                ('staff', fields.ForeignKeyField('models.StaffMember', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.SET_NULL)),
                ('shared_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'quote_share', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'shared_at'])], 'pk_attr': 'id', 'table_description': "The quote's link sent to a recipient: by a request, an issue or a share."},
            bases=['Model'],
        ),
    ]
