"""Who calls a use case, and what the use cases need from the running server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from models.errors import Forbidden, Unauthenticated
from models.negotiation import Actor, Party, StaffRole
from models.sealing import Keyring
from models.services.imei_checks import CheckSettings
from models.services.labels import BuiltInLabels, LabelProvider
from models.services.storage import LocalDiskStorage, PhotoStorage

NEGOTIATING_ROLES = frozenset({StaffRole.OWNER, StaffRole.MANAGER, StaffRole.SALES_REP})


class Publisher(Protocol):
    async def publish(self, topic: str, payload: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Caller:
    """The viewer as the domain sees it."""

    organization_id: int | None = None
    staff_id: int | None = None
    staff_name: str | None = None
    role: StaffRole | None = None
    "Set for a quote link: the one quote it opens."
    quote_id: int | None = None
    "Set for a portal session: every quote of this email in the organization."
    customer_email: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.staff_id is not None

    @property
    def is_customer(self) -> bool:
        return not self.is_staff and (self.quote_id is not None or self.customer_email is not None)

    @property
    def actor(self) -> Actor:
        if self.role is not None:
            return Actor.staff(self.role)
        if self.is_customer:
            return Actor.customer()
        raise Unauthenticated("sign in or use your quote link")

    @property
    def party(self) -> Party:
        party = self.actor.party
        assert party is not None
        return party

    def require_staff(self, roles: frozenset[StaffRole] | None = None) -> None:
        if self.is_customer:
            raise Forbidden("this is for the merchant's staff")
        if not self.is_staff:
            raise Unauthenticated("a staff token is required")
        if roles is not None and self.role not in roles:
            raise Forbidden("your role does not allow this")


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """What use cases need from the server: where to publish, how to sign links, what time it
    is (tests move the clock instead of sleeping), how IMEIs are checked, and the keys that
    seal chain heads (derived from the secret key unless given)."""

    bus: Publisher
    secret_key: str
    public_url: str
    clock: Callable[[], datetime] = field(default=system_clock)
    "How IMEIs are checked: the external provider, if any, and its cache period."
    checks: CheckSettings = field(default_factory=CheckSettings)
    keys: Keyring = field(default=None)  # type: ignore[assignment]
    "Where evidence photos are kept, and who makes carrier labels."
    storage: PhotoStorage = field(default_factory=lambda: LocalDiskStorage("uploads"))
    labels: LabelProvider = field(default_factory=BuiltInLabels)

    def __post_init__(self) -> None:
        if self.keys is None:
            self.keys = Keyring.from_config(self.secret_key)
