"""Who may administer the team: the role matrix for invitations, role changes and
deactivations, and the rule that an organization always keeps an OWNER.

Pure: no I/O. The use cases in `models/services/staff.py` ask this module, and the README's
matrix says the same thing."""

from __future__ import annotations

from models.errors import DomainError, ErrorCode, Forbidden
from models.negotiation import StaffRole

"Invite, change roles, deactivate, read the audit log, change settings and branding."
ADMIN_ROLES = frozenset({StaffRole.OWNER, StaffRole.MANAGER})
"Rotate and revoke customer links (those who share quotes)."
LINK_ROLES = frozenset({StaffRole.OWNER, StaffRole.MANAGER, StaffRole.SALES_REP})


def require_admin(role: StaffRole | None) -> StaffRole:
    if role not in ADMIN_ROLES:
        raise Forbidden("only an OWNER or a MANAGER administers the team")
    assert role is not None
    return role


def may_grant(actor: StaffRole, role: StaffRole) -> None:
    """Raise Forbidden unless `actor` may give someone `role`: only an OWNER makes OWNERs."""
    require_admin(actor)
    if role is StaffRole.OWNER and actor is not StaffRole.OWNER:
        raise Forbidden("only an OWNER can make someone an OWNER")


def may_manage(actor: StaffRole, target: StaffRole) -> None:
    """Raise Forbidden unless `actor` may change or deactivate a member who has `target`."""
    require_admin(actor)
    if target is StaffRole.OWNER and actor is not StaffRole.OWNER:
        raise Forbidden("only an OWNER can change or deactivate an OWNER")


def keeps_an_owner(target: StaffRole, new_role: StaffRole | None, active_owners: int) -> None:
    """Raise INVALID_STATE when the change (a new role, or None for deactivation) would leave
    the organization without an active OWNER."""
    if target is StaffRole.OWNER and new_role is not StaffRole.OWNER and active_owners <= 1:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "the organization's last OWNER cannot be demoted or deactivated: make someone else OWNER first",
            ["input", "staffId"],
        )
