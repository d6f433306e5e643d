from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0009_devices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PortalCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='portal_codes', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=254)),
                ('code_hash', fields.CharField(max_length=64)),
                ('attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'portal_code', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'email', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A code emailed to a customer: short-lived, used once, burned after a few wrong tries.'},
            bases=['Model'],
        ),
        # The portal lists a customer's quotes by a case-insensitive match of the email within
        # one organization: the very expression Tortoise writes for `iexact`, indexed.
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "quote_org_email_ci" ON "quote" '
            '("organization_id", UPPER(CAST("contact_email" AS VARCHAR)))',
            reverse_sql='DROP INDEX IF EXISTS "quote_org_email_ci"',
        ),
    ]
