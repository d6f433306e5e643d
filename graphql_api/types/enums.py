"""The domain's closed sets as GraphQL enums."""

import strawberry

from graphql_api.auth import ViewerKind as _ViewerKind
from models import enums as e
from models import negotiation as n
from models import notification as notice

ViewerKind = strawberry.enum(_ViewerKind, name="ViewerKind")
StaffRole = strawberry.enum(n.StaffRole, name="StaffRole")
QuoteStatus = strawberry.enum(n.QuoteStatus, name="QuoteStatus")
Party = strawberry.enum(n.Party, name="Party")
QuoteSource = strawberry.enum(n.QuoteSource, name="QuoteSource")
QuoteAction = strawberry.enum(
    n.QuoteAction,
    name="QuoteAction",
    description="What the current viewer may do to a quote right now.",
)
LineStatus = strawberry.enum(n.LineStatus, name="LineStatus")
LineAction = strawberry.enum(n.LineAction, name="LineAction")
DeviceType = strawberry.enum(e.DeviceType, name="DeviceType")
DeviceCondition = strawberry.enum(e.DeviceCondition, name="DeviceCondition")
CarrierLock = strawberry.enum(e.CarrierLock, name="CarrierLock")
Actor = strawberry.enum(e.Author, name="Actor")
MessageKind = strawberry.enum(e.MessageKind, name="MessageKind")
PayoutMethod = strawberry.enum(e.PayoutMethod, name="PayoutMethod")
Fulfillment = strawberry.enum(e.Fulfillment, name="Fulfillment")
PaymentStatus = strawberry.enum(
    e.PaymentStatus,
    name="PaymentStatus",
    description="What the customer's payment status banner says.",
)
ImeiFlag = strawberry.enum(e.ImeiFlag, name="ImeiFlag")
NotificationKind = strawberry.enum(notice.NotificationKind, name="NotificationKind")
PayoutStatus = strawberry.enum(
    e.PayoutStatus, name="PayoutStatus", description="Where a payout stands, as staff see it."
)
UnitStatus = strawberry.enum(
    e.UnitStatus, name="UnitStatus", description="Where one device of a buy order is."
)
UnitGrade = strawberry.enum(
    e.UnitGrade, name="UnitGrade", description="The bench's grade of a received device."
)
RevisionStatus = strawberry.enum(
    e.RevisionStatus, name="RevisionStatus", description="The state of a revised offer."
)
RevisionReason = strawberry.enum(
    e.RevisionReason,
    name="RevisionReason",
    description="Why a received device is worth less than disclosed.",
)
