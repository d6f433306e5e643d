from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0003_engagement')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Organization',
            name='time_zone',
            field=fields.CharField(default='UTC', max_length=64),
        ),
    ]
