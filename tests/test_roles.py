"""The team's rules without a database: the role matrix, exhaustively, the last-OWNER rule, and
the settings' validation for any input."""

from __future__ import annotations

import itertools
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import roles
from models.errors import DomainError, DomainErrors, ErrorCode, Forbidden
from models.negotiation import StaffRole
from models.services.organization_settings import FIELDS, SettingsIn, clean

ADMINS = {StaffRole.OWNER, StaffRole.MANAGER}


@pytest.mark.parametrize(("actor", "role"), list(itertools.product(StaffRole, StaffRole)))
def test_who_may_grant_which_role(actor: StaffRole, role: StaffRole) -> None:
    allowed = actor is StaffRole.OWNER or (actor is StaffRole.MANAGER and role is not StaffRole.OWNER)
    if allowed:
        roles.may_grant(actor, role)
    else:
        with pytest.raises(Forbidden):
            roles.may_grant(actor, role)


@pytest.mark.parametrize(("actor", "target"), list(itertools.product(StaffRole, StaffRole)))
def test_who_may_manage_whom(actor: StaffRole, target: StaffRole) -> None:
    allowed = actor is StaffRole.OWNER or (actor is StaffRole.MANAGER and target is not StaffRole.OWNER)
    if allowed:
        roles.may_manage(actor, target)
    else:
        with pytest.raises(Forbidden):
            roles.may_manage(actor, target)


@pytest.mark.parametrize(
    ("target", "new_role", "owners"),
    list(itertools.product(StaffRole, [*StaffRole, None], [1, 2, 3])),
)
def test_the_last_owner_stays(target: StaffRole, new_role: StaffRole | None, owners: int) -> None:
    removes_owner = target is StaffRole.OWNER and new_role is not StaffRole.OWNER
    if removes_owner and owners == 1:
        with pytest.raises(DomainError) as refused:
            roles.keeps_an_owner(target, new_role, owners)
        assert refused.value.code is ErrorCode.INVALID_STATE
    else:
        roles.keeps_an_owner(target, new_role, owners)


def test_link_roles_are_those_who_share() -> None:
    assert roles.LINK_ROLES == {StaffRole.OWNER, StaffRole.MANAGER, StaffRole.SALES_REP}
    assert roles.ADMIN_ROLES == ADMINS


VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10_000, 20_000), st.text(max_size=40),
    st.sampled_from(sorted(zoneinfo.available_timezones())[:50]),
    st.lists(st.sampled_from(["STRIPE", "CHECK", "STORE_CREDIT", "SHIP", "PICKUP"]), max_size=4),
)  # fmt: skip
KINDS = {
    "quote_validity_days": int, "time_zone": str, "notification_email": str, "imei_lookups_per_quote": int,
    "finance_gate": bool, "auto_convert": bool, "link_lifetime_days": int, "payout_methods": list,
    "revision_reply_days": int, "fulfillment_methods": list,
}  # fmt: skip
"The enum values GraphQL lets through for each list of methods."
METHODS = {"payout_methods": {"STRIPE", "CHECK", "STORE_CREDIT"}, "fulfillment_methods": {"SHIP", "PICKUP"}}


@settings(deadline=None, database=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(sorted(FIELDS)), VALUES, max_size=8))
def test_settings_are_either_clean_or_refused_with_paths(changes: dict[str, object]) -> None:
    """Whatever the input (of the types GraphQL lets through), `clean` gives values in range or
    coded errors naming each setting at fault; never anything else."""
    typed = {
        name: value for name, value in changes.items()
        if value is None or isinstance(value, KINDS[name]) and not (KINDS[name] is int and isinstance(value, bool))
        and not (isinstance(value, list) and not set(value) <= METHODS[name])
    }  # fmt: skip
    try:
        result = clean(SettingsIn(typed))
    except DomainErrors as refused:
        assert refused.errors
        for error in refused.errors:
            assert error.code is ErrorCode.INVALID_INPUT
            assert error.field is not None and error.field[:1] == ["input"]
            assert error.field[1] in {FIELDS[name] for name in typed}
        return
    assert set(result) == set(typed)
    if "quote_validity_days" in result:
        assert 1 <= result["quote_validity_days"] <= 365
    if "link_lifetime_days" in result:
        assert 1 <= result["link_lifetime_days"] <= 3650
    if "revision_reply_days" in result:
        assert 1 <= result["revision_reply_days"] <= 60
    if result.get("imei_lookups_per_quote") is not None:
        assert 0 <= result["imei_lookups_per_quote"] <= 10_000
    if "time_zone" in result:
        assert result["time_zone"] in zoneinfo.available_timezones()
    if "payout_methods" in result:
        methods = result["payout_methods"]
        assert methods and len(set(methods)) == len(methods)
