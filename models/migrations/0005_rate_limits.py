from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0004_organization_time_zone')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RateLimitCounter',
            fields=[
                ('bucket_key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=255)),
                ('window_index', fields.BigIntField()),
                ('hits', fields.IntField()),
                ('previous_hits', fields.IntField(default=0)),
                ('expires_at', fields.BigIntField(db_index=True)),
            ],
            options={'table': 'rate_limit', 'app': 'models', 'pk_attr': 'bucket_key', 'table_description': 'Requests counted in the current and the previous window of one bucket and key.'},
            bases=['Model'],
        ),
    ]
