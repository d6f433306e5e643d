"""IMEI checks: the organization's own registry of flagged IMEIs, the results of a commercial
checking service cached per IMEI, the checks waiting for that service, and the look-ups
customers made (counted against the organization's per-quote limit)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.organization import Organization
from models.quote import DeviceUnit, Quote


class RegistryFlag(StrEnum):
    BLACKLISTED = "BLACKLISTED"
    FINANCE_LOCKED = "FINANCE_LOCKED"


class RegistryEntry(Model):
    """An IMEI the organization knows to be blacklisted or finance-locked."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="imei_registry", on_delete=fields.CASCADE
    )
    organization_id: int
    imei = fields.CharField(max_length=15)
    flag = fields.CharEnumField(RegistryFlag, max_length=16)
    note = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "imei_registry_entry"
        unique_together = (("organization", "imei", "flag"),)
        indexes = (("organization_id", "imei"),)


class ProviderResult(Model):
    """The latest answer of the external checking service for one IMEI, reused for a while."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="imei_provider_results", on_delete=fields.CASCADE
    )
    organization_id: int
    imei = fields.CharField(max_length=15)
    source = fields.CharField(max_length=64)
    flags = fields.JSONField(default=list)
    checked_at = fields.DatetimeField()

    class Meta:
        table = "imei_provider_result"
        unique_together = (("organization", "imei"),)


class PendingCheck(Model):
    """A unit whose external check could not run yet: retried by the background jobs."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="pending_imei_checks", on_delete=fields.CASCADE
    )
    organization_id: int
    unit: fields.ForeignKeyRelation[DeviceUnit] = fields.ForeignKeyField(
        "models.DeviceUnit", related_name="pending_checks", on_delete=fields.CASCADE
    )
    unit_id: int
    imei = fields.CharField(max_length=15)
    attempts = fields.IntField(default=0)
    last_error = fields.CharField(max_length=500, null=True)
    next_attempt_at = fields.DatetimeField()

    class Meta:
        table = "pending_imei_check"
        indexes = (("next_attempt_at",), ("unit_id",))


class ImeiLookupRecord(Model):
    """One IMEI looked up with `lookupImeis`."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="imei_lookups", on_delete=fields.CASCADE
    )
    organization_id: int
    quote: fields.ForeignKeyNullableRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="imei_lookups", null=True, on_delete=fields.CASCADE
    )
    quote_id: int | None
    imei = fields.CharField(max_length=32)
    by_staff = fields.BooleanField(default=False)
    looked_up_at = fields.DatetimeField()

    class Meta:
        table = "imei_lookup"
        indexes = (("quote_id", "by_staff"),)
