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
