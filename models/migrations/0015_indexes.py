from typing import Any

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# The staff search: a case-insensitive substring of the number, the name or the email, written by
# Tortoise as UPPER(CAST(col AS VARCHAR)) LIKE '%…%'. Trigram GIN indexes on those very
# expressions serve it on PostgreSQL (on SQLite the organization's index narrows the rows).
SEARCHED = ("number", "contact_name", "contact_email")


async def trigram_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.client.capabilities.dialect != "postgres":
        return
    await schema_editor.client.execute_script("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED:
        await schema_editor.client.execute_script(
            f'CREATE INDEX IF NOT EXISTS "quote_{column}_trgm" ON "quote" '
            f'USING gin (UPPER(CAST("{column}" AS VARCHAR)) gin_trgm_ops)'
        )
    await schema_editor.client.execute_script(
        'CREATE INDEX IF NOT EXISTS "device_unit_imei_trgm" ON "device_unit" USING gin ("imei" gin_trgm_ops)'
    )


async def drop_trigram_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.client.capabilities.dialect != "postgres":
        return
    for name in [f"quote_{column}_trgm" for column in SEARCHED] + ["device_unit_imei_trgm"]:
        await schema_editor.client.execute_script(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    """The thread view reads a quote's line changes by the quote, the staff queue an
    organization's quotes newest first: indexed, so that they cost the same whatever else the
    database holds. The staff search is served by trigram indexes."""

    dependencies = [('models', '0014_after_conversion')]

    initial = False

    operations = [
        # The staff queue: an organization's quotes, newest first, a page at a time.
        ops.AddIndex(
            model_name='Quote',
            index=Index(fields=['organization_id', 'id']),
        ),
        ops.AddIndex(
            model_name='LineChange',
            index=Index(fields=['quote_id', 'id']),
        ),
        ops.RunPython(trigram_indexes, drop_trigram_indexes),
    ]
