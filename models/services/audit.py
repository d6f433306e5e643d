"""Writing and reading the organization's audit log. Every administrative use case records
its entry inside its own transaction, so an action and its entry commit together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.audit import AuditAction, AuditEntry
from models.negotiation import StaffRole
from models.services.caller import Caller
from models.services.engagement import client_hash

OPERATOR = "operator (command line)"


@dataclass(frozen=True)
class Admin:
    """Who takes an administrative action: a staff member through the API, or the operator
    at the command line (acting with an OWNER's rights, recorded as the operator)."""

    organization_id: int
    role: StaffRole
    name: str
    staff_id: int | None = None
    client_hash: str | None = None
    user_agent: str | None = None


def admin_of(caller: Caller, secret_key: str) -> Admin:
    """The staff caller as an administrator; Unauthenticated / Forbidden for anyone else."""
    caller.require_staff()
    assert caller.organization_id is not None and caller.role is not None
    return Admin(
        organization_id=caller.organization_id,
        role=caller.role,
        name=caller.staff_name or "staff",
        staff_id=caller.staff_id,
        client_hash=client_hash(secret_key, caller.client_ip),
        user_agent=(caller.user_agent or "")[:500] or None,
    )


def operator(organization_id: int) -> Admin:
    return Admin(organization_id=organization_id, role=StaffRole.OWNER, name=OPERATOR)


async def record(
    admin: Admin,
    action: AuditAction,
    target_type: str,
    target_id: int | None,
    target_label: str | None,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> AuditEntry:
    return await AuditEntry.create(
        organization_id=admin.organization_id,
        actor_id=admin.staff_id,
        actor_name=admin.name[:200],
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=(target_label or "")[:300] or None,
        before=before,
        after=after,
        client_hash=admin.client_hash,
        user_agent=admin.user_agent,
        created_at=now,
    )


@dataclass(frozen=True)
class AuditFilter:
    actions: tuple[AuditAction, ...] = ()
    actor_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


async def entries(
    organization_id: int, audit_filter: AuditFilter, before_id: int | None, first: int
) -> tuple[list[dict[str, Any]], bool]:
    """A page of entries, newest first, strictly older than `before_id`; and whether more follow."""
    query = AuditEntry.filter(organization_id=organization_id)
    if audit_filter.actions:
        query = query.filter(action__in=list(audit_filter.actions))
    if audit_filter.actor_id is not None:
        query = query.filter(actor_id=audit_filter.actor_id)
    if audit_filter.since is not None:
        query = query.filter(created_at__gte=audit_filter.since)
    if audit_filter.until is not None:
        query = query.filter(created_at__lt=audit_filter.until)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(first + 1).values(
        "id", "actor_id", "actor_name", "action", "target_type", "target_id", "target_label",
        "before", "after", "client_hash", "user_agent", "created_at",
    )  # fmt: skip
    return rows[:first], len(rows) > first
