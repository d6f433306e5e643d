from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Chain seals, salts of personal fields, the consent text's version and hash. New enum
    values (QUOTE_TAMPERED, CERTIFICATE_DOWNLOAD) fit the existing columns: no table is rebuilt
    for them (on SQLite that would drop the tables' indexes and cascade to their rows)."""

    dependencies = [('models', '0006_idempotency')]

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
