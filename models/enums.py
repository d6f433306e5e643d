"""Closed sets of the domain that are not negotiation rules."""

from enum import StrEnum


class DeviceType(StrEnum):
    PHONE = "PHONE"
    TABLET = "TABLET"
    LAPTOP = "LAPTOP"
    SMARTWATCH = "SMARTWATCH"
    HEADPHONES = "HEADPHONES"
    CONSOLE = "CONSOLE"
    CAMERA = "CAMERA"
    OTHER = "OTHER"


class DeviceCondition(StrEnum):
    NEW = "NEW"
    LIKE_NEW = "LIKE_NEW"
    GOOD = "GOOD"
    FAIR = "FAIR"
    POOR = "POOR"
    BROKEN = "BROKEN"


class CarrierLock(StrEnum):
    UNLOCKED = "UNLOCKED"
    LOCKED = "LOCKED"
    UNKNOWN = "UNKNOWN"


class Author(StrEnum):
    CUSTOMER = "CUSTOMER"
    STAFF = "STAFF"
    SYSTEM = "SYSTEM"


class MessageKind(StrEnum):
    MESSAGE = "MESSAGE"
    SUBMISSION = "SUBMISSION"
    COUNTER_OFFER = "COUNTER_OFFER"
    ACCEPTANCE = "ACCEPTANCE"
    REJECTION = "REJECTION"
    WITHDRAWAL = "WITHDRAWAL"
    ISSUE = "ISSUE"
    RECALL = "RECALL"
    CONVERSION = "CONVERSION"
    CANCELLATION = "CANCELLATION"
    EXPIRY = "EXPIRY"
    SHARE = "SHARE"
    EXTENSION = "EXTENSION"
    REVISED_OFFER = "REVISED_OFFER"
    REVISION_ANSWER = "REVISION_ANSWER"
    PAYOUT = "PAYOUT"
    UNIT_RECEIVED = "UNIT_RECEIVED"


class PayoutMethod(StrEnum):
    STRIPE = "STRIPE"
    CHECK = "CHECK"
    STORE_CREDIT = "STORE_CREDIT"


class Fulfillment(StrEnum):
    SHIP = "SHIP"
    PICKUP = "PICKUP"


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    UNDER_REVIEW = "UNDER_REVIEW"
    PAID = "PAID"
    DECLINED = "DECLINED"


class ImeiFlag(StrEnum):
    INVALID = "INVALID"
    UNKNOWN_TAC = "UNKNOWN_TAC"
    BLACKLISTED = "BLACKLISTED"
    FINANCE_LOCKED = "FINANCE_LOCKED"
    CARRIER_LOCKED = "CARRIER_LOCKED"
    DUPLICATE = "DUPLICATE"


class PayoutStatus(StrEnum):
    """Where the merchant's payment stands (staff side; customers see `PaymentStatus`)."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    "Sent through Stripe; PAID once Stripe's webhook confirms it."
    PROCESSING = "PROCESSING"
    PAID = "PAID"
    DECLINED = "DECLINED"


class UnitStatus(StrEnum):
    """Where one physical device of a buy order is."""

    EXPECTED = "EXPECTED"
    RECEIVED = "RECEIVED"
    RETURNING = "RETURNING"
    CANCELED = "CANCELED"


class UnitGrade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    FAULTY = "FAULTY"


class RevisionStatus(StrEnum):
    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    LAPSED = "LAPSED"


class RevisionReason(StrEnum):
    """Why a received unit is worth less than disclosed."""

    SCREEN_DAMAGE = "SCREEN_DAMAGE"
    BODY_DAMAGE = "BODY_DAMAGE"
    BATTERY_HEALTH = "BATTERY_HEALTH"
    NOT_POWERING_ON = "NOT_POWERING_ON"
    FAULTY_COMPONENT = "FAULTY_COMPONENT"
    ACTIVATION_LOCK = "ACTIVATION_LOCK"
    WRONG_MODEL = "WRONG_MODEL"
    MISSING_ACCESSORIES = "MISSING_ACCESSORIES"
    OTHER = "OTHER"
