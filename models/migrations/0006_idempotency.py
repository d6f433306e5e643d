from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0005_rate_limits')]

    initial = False

    operations = [
        ops.AddField(
            model_name='IdempotencyRecord',
            name='request_hash',
            field=fields.CharField(max_length=64, null=True),
        ),
        ops.AddField(
            model_name='OutboxEmail',
            name='coalesce_key',
            field=fields.CharField(max_length=128, null=True, db_index=True),
        ),
    ]
