from typing import Any

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops

WITH_ADDRESS = "receiving_address IS NOT NULL AND TRIM(receiving_address) <> ''"


async def offer_defaults(apps: Any, schema_editor: Any) -> None:
    """Existing organizations ship when they have a receiving address, else offer pickup only."""
    run = schema_editor.client.execute_script
    await run(f"""UPDATE "organization" SET "fulfillment_methods" = '["SHIP", "PICKUP"]' WHERE {WITH_ADDRESS}""")
    await run(f"""UPDATE "organization" SET "fulfillment_methods" = '["PICKUP"]' WHERE NOT ({WITH_ADDRESS})""")


async def forget_offers(apps: Any, schema_editor: Any) -> None:
    pass  # the column goes with the reversed AddField


class Migration(migrations.Migration):
    """The fulfilment methods an organization offers; a buy order's inbound carrier label; who
    booked a store-credit entry (spends are recorded by staff)."""

    dependencies = [('models', '0016_sqlite_search')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Organization',
            name='fulfillment_methods',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.RunPython(offer_defaults, forget_offers),
        ops.AddField(
            model_name='BuyOrder',
            name='carrier',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='BuyOrder',
            name='tracking_number',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='BuyOrder',
            name='label_url',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='StoreCreditEntry',
            name='staff',
            field=fields.ForeignKeyField('models.StaffMember', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='store_credit_entries', on_delete=OnDelete.SET_NULL),
        ),
    ]
