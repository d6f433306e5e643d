"""GraphQL inputs shared by several mutations, and their translation into use-case inputs."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from graphql_api.types.enums import CarrierLock, DeviceCondition, DeviceType
from models.services.device_input import ContactIn, DeviceIn


@strawberry.input
class ContactInput:
    name: str
    email: str
    phone: str | None = None

    def domain(self) -> ContactIn:
        return ContactIn(name=self.name, email=self.email, phone=self.phone)


@strawberry.input
class ConditionAnswerInput:
    question: str
    answer: str


@strawberry.input(description="A device as the customer describes it.")
class DeviceInput:
    type: DeviceType
    brand: str
    model: str
    condition: DeviceCondition
    quantity: int
    asking_price: Decimal = strawberry.field(description="Per unit.")
    storage: str | None = None
    color: str | None = None
    condition_answers: list[ConditionAnswerInput] | None = None
    carrier_lock: CarrierLock | None = None
    carrier: str | None = None
    imeis: list[str] | None = strawberry.field(default=None, description="At most `quantity` of each.")
    serials: list[str] | None = None

    def domain(self) -> DeviceIn:
        return DeviceIn(
            type=self.type,
            brand=self.brand,
            model=self.model,
            condition=self.condition,
            quantity=self.quantity,
            price=self.asking_price,
            storage=self.storage,
            color=self.color,
            condition_answers=[(a.question, a.answer) for a in self.condition_answers or []],
            carrier_lock=self.carrier_lock,
            carrier=self.carrier,
            imeis=list(self.imeis or []),
            serials=list(self.serials or []),
        )
