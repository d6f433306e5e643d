from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.notification import NotificationKind


class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('quote', fields.ForeignKeyField('models.Quote', source_field='quote_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='QUOTE_SUBMITTED: QUOTE_SUBMITTED\nCUSTOMER_RESPONDED: CUSTOMER_RESPONDED\nCHANGES_REQUESTED: CHANGES_REQUESTED\nQUOTE_ACCEPTED: QUOTE_ACCEPTED\nACCEPTANCE_WITHDRAWN: ACCEPTANCE_WITHDRAWN\nQUOTE_REJECTED: QUOTE_REJECTED\nQUOTE_EXPIRED: QUOTE_EXPIRED', enum_type=NotificationKind, max_length=32)),
                ('message', fields.CharField(max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': "Something a customer (or the clock) did that the organization's staff should know."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationRead',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('models.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='reads', on_delete=OnDelete.CASCADE)),
                ('staff', fields.ForeignKeyField('models.StaffMember', source_field='staff_id', db_constraint=True, to_field='id', related_name='notification_reads', on_delete=OnDelete.CASCADE)),
                ('read_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification_read', 'app': 'models', 'unique_together': (('staff', 'notification'),), 'pk_attr': 'id', 'table_description': 'One staff member has read one notification (no row: unread).'},
            bases=['Model'],
        ),
    ]
