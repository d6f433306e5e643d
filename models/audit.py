"""The organization's audit log: every administrative action, who took it, when, and what it
changed. Append-only."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.organization import Organization, StaffMember


class AuditAction(StrEnum):
    STAFF_INVITED = "STAFF_INVITED"
    STAFF_ROLE_CHANGED = "STAFF_ROLE_CHANGED"
    STAFF_DEACTIVATED = "STAFF_DEACTIVATED"
    STAFF_SIGNED_IN = "STAFF_SIGNED_IN"
    ACCESS_TOKEN_CREATED = "ACCESS_TOKEN_CREATED"
    ACCESS_TOKEN_REVOKED = "ACCESS_TOKEN_REVOKED"
    QUOTE_LINK_ROTATED = "QUOTE_LINK_ROTATED"
    QUOTE_LINK_REVOKED = "QUOTE_LINK_REVOKED"
    SETTINGS_CHANGED = "SETTINGS_CHANGED"
    BRANDING_CHANGED = "BRANDING_CHANGED"


class AuditEntry(Model):
    """One administrative action. The client address is kept only as a keyed hash."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="audit_entries", on_delete=fields.CASCADE
    )
    organization_id: int
    actor: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    "The actor's name at the time, or the operator for the command line."
    actor_name = fields.CharField(max_length=200)
    action = fields.CharEnumField(AuditAction, max_length=32)
    "What was acted on, e.g. StaffMember, AccessToken, Quote, Organization."
    target_type = fields.CharField(max_length=32)
    target_id = fields.IntField(null=True)
    target_label = fields.CharField(max_length=300, null=True)
    before: Any = fields.JSONField(null=True)
    after: Any = fields.JSONField(null=True)
    client_hash = fields.CharField(max_length=32, null=True)
    user_agent = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "audit_entry"
        indexes = (("organization_id", "id"), ("organization_id", "action", "id"), ("actor_id",))
