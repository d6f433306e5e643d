from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.engagement import EngagementKind
from models.notification import NotificationKind


class Migration(migrations.Migration):
    dependencies = [('models', '0004_organization_time_zone')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Acceptance',
            name='consent_sha256',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Acceptance',
            name='consent_version',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='Acceptance',
            name='salt',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddIndex(
            model_name='Acceptance',
            index=Index(fields=['signature_hash']),
        ),
        ops.AddIndex(
            model_name='Acceptance',
            index=Index(fields=['quote_id', 'id']),
        ),
        ops.AlterField(
            model_name='EngagementEvent',
            name='kind',
            field=fields.CharEnumField(description='VIEW: VIEW\nPDF_DOWNLOAD: PDF_DOWNLOAD\nRECEIPT_DOWNLOAD: RECEIPT_DOWNLOAD\nEMAIL_SENT: EMAIL_SENT\nCERTIFICATE_DOWNLOAD: CERTIFICATE_DOWNLOAD', enum_type=EngagementKind, max_length=20),
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='QUOTE_SUBMITTED: QUOTE_SUBMITTED\nCUSTOMER_RESPONDED: CUSTOMER_RESPONDED\nCHANGES_REQUESTED: CHANGES_REQUESTED\nQUOTE_ACCEPTED: QUOTE_ACCEPTED\nACCEPTANCE_WITHDRAWN: ACCEPTANCE_WITHDRAWN\nQUOTE_REJECTED: QUOTE_REJECTED\nQUOTE_EXPIRED: QUOTE_EXPIRED\nQUOTE_TAMPERED: QUOTE_TAMPERED', enum_type=NotificationKind, max_length=32),
        ),
        ops.AddField(
            model_name='Quote',
            name='seal_key_id',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='Quote',
            name='seal_signature',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddField(
            model_name='ThreadMessage',
            name='salt',
            field=fields.CharField(null=True, max_length=32),
        ),
    ]
