"""Who may reach staff-only fields: checked once, the same way for every such field."""

from __future__ import annotations

from graphql_api.context import Info
from graphql_api.errors import forbidden, unauthenticated
from models.services.caller import Caller


def staff_caller(info: Info) -> Caller:
    """The staff caller; a customer is FORBIDDEN, anyone else UNAUTHENTICATED."""
    caller = info.context.caller
    if caller.is_staff and caller.organization_id is not None:
        return caller
    if caller.is_customer:
        raise forbidden("This is for the merchant's staff.")
    raise unauthenticated("A staff token is required.")
