"""The device catalog: models with their storages and colours, and the type allocation codes
(TACs) that name a device from its IMEI. Rows without an organization are the shared starter
catalog every organization sees; an organization's own row of the same brand and model wins."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import DeviceType
from models.organization import Organization


def model_key(brand: str, model: str) -> str:
    """Brand and model compared as people read them: case and spacing do not matter."""
    return f"{' '.join(brand.lower().split())}|{' '.join(model.lower().split())}"


def storage_key(storage: str | None) -> str:
    """`256 GB`, `256GB` and `256 gb` are one storage; `1 TB` stays apart from `1000 GB`."""
    return "".join((storage or "").upper().split())


class CatalogModel(Model):
    """One device model of the catalog."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="catalog_models", null=True, on_delete=fields.CASCADE
    )
    organization_id: int | None
    device_type = fields.CharEnumField(DeviceType, max_length=16)
    brand = fields.CharField(max_length=100)
    model = fields.CharField(max_length=100)
    "Lowercased brand and model, see model_key."
    key = fields.CharField(max_length=201)
    storages = fields.JSONField(default=list)
    colors = fields.JSONField(default=list)

    class Meta:
        table = "catalog_model"
        unique_together = (("organization", "key"),)
        indexes = (("key",), ("brand", "model"))


class CatalogTac(Model):
    """A type allocation code: the first 8 digits of an IMEI, naming the model."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="catalog_tacs", null=True, on_delete=fields.CASCADE
    )
    organization_id: int | None
    tac = fields.CharField(max_length=8, db_index=True)
    catalog_model: fields.ForeignKeyRelation[CatalogModel] = fields.ForeignKeyField(
        "models.CatalogModel", related_name="tacs", on_delete=fields.CASCADE
    )
    catalog_model_id: int

    class Meta:
        table = "catalog_tac"
        unique_together = (("organization", "tac"),)
        indexes = (("catalog_model_id",),)
