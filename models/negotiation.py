"""The negotiation rules: statuses, turns, and every action on a quote.

Pure: no I/O, no ORM, no GraphQL. Every use case asks this module whether an action is allowed
and what follows from it, and `available_actions` answers from the same function, so the
buttons a client draws and the checks a write goes through can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from models.errors import DomainError, DomainErrors, ErrorCode, Forbidden


class QuoteStatus(StrEnum):
    DRAFT = "DRAFT"
    REQUESTED = "REQUESTED"
    SUBMITTED = "SUBMITTED"
    NEGOTIATING = "NEGOTIATING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    CONVERTED = "CONVERTED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


FINAL_STATUSES = frozenset(
    {QuoteStatus.REJECTED, QuoteStatus.CONVERTED, QuoteStatus.CANCELED, QuoteStatus.EXPIRED}
)
EXPIRING_STATUSES = frozenset(
    {QuoteStatus.REQUESTED, QuoteStatus.SUBMITTED, QuoteStatus.NEGOTIATING}
)


class Party(StrEnum):
    CUSTOMER = "CUSTOMER"
    MERCHANT = "MERCHANT"


class QuoteSource(StrEnum):
    REQUEST_LINK = "REQUEST_LINK"
    TRADE_IN = "TRADE_IN"
    MERCHANT = "MERCHANT"


class LineStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


class LineAction(StrEnum):
    ACCEPT = "ACCEPT"
    DECLINE = "DECLINE"
    COUNTER = "COUNTER"


class StaffRole(StrEnum):
    OWNER = "OWNER"
    MANAGER = "MANAGER"
    SALES_REP = "SALES_REP"
    FINANCE = "FINANCE"
    TECHNICIAN = "TECHNICIAN"


class QuoteAction(StrEnum):
    SUBMIT = "SUBMIT"
    LOOKUP_IMEIS = "LOOKUP_IMEIS"
    SEND_MESSAGE = "SEND_MESSAGE"
    COUNTER_OFFER = "COUNTER_OFFER"
    ACCEPT_ALL_REMAINING = "ACCEPT_ALL_REMAINING"
    REJECT_ALL_REMAINING = "REJECT_ALL_REMAINING"
    WITHDRAW_ACCEPTANCE = "WITHDRAW_ACCEPTANCE"
    CONVERT_TO_BUY_ORDER = "CONVERT_TO_BUY_ORDER"
    EDIT = "EDIT"
    ISSUE = "ISSUE"
    RECALL = "RECALL"
    SHARE = "SHARE"
    CANCEL = "CANCEL"
    DOWNLOAD_PDF = "DOWNLOAD_PDF"
    EXTEND = "EXTEND"
    COPY = "COPY"


A = QuoteAction
CUSTOMER_ACTIONS = frozenset(
    {
        A.SUBMIT,
        A.LOOKUP_IMEIS,
        A.SEND_MESSAGE,
        A.COUNTER_OFFER,
        A.ACCEPT_ALL_REMAINING,
        A.REJECT_ALL_REMAINING,
        A.WITHDRAW_ACCEPTANCE,
        A.DOWNLOAD_PDF,
    }
)
STAFF_ACTIONS = frozenset(
    {
        A.LOOKUP_IMEIS,
        A.SEND_MESSAGE,
        A.COUNTER_OFFER,
        A.CONVERT_TO_BUY_ORDER,
        A.EDIT,
        A.ISSUE,
        A.RECALL,
        A.SHARE,
        A.CANCEL,
        A.DOWNLOAD_PDF,
        A.EXTEND,
        A.COPY,
    }
)
ROLE_ACTIONS: dict[StaffRole, frozenset[QuoteAction]] = {
    StaffRole.OWNER: STAFF_ACTIONS,
    StaffRole.MANAGER: STAFF_ACTIONS,
    StaffRole.SALES_REP: STAFF_ACTIONS,
    StaffRole.FINANCE: frozenset({A.SEND_MESSAGE, A.DOWNLOAD_PDF}),
    StaffRole.TECHNICIAN: frozenset({A.LOOKUP_IMEIS, A.DOWNLOAD_PDF}),
}


@dataclass(frozen=True)
class Actor:
    """Who acts: the customer, a staff member with a role, or the server itself."""

    party: Party | None
    role: StaffRole | None = None

    @classmethod
    def customer(cls) -> Actor:
        return cls(Party.CUSTOMER)

    @classmethod
    def staff(cls, role: StaffRole) -> Actor:
        return cls(Party.MERCHANT, role)

    @classmethod
    def system(cls) -> Actor:
        return cls(None)


@dataclass(frozen=True)
class Line:
    id: int
    status: LineStatus
    awaiting: Party | None
    customer_price: Decimal | None = None
    merchant_offer: Decimal | None = None
    agreed_price: Decimal | None = None
    accepted_by: Party | None = None

    def price_of(self, party: Party) -> Decimal | None:
        return self.customer_price if party is Party.CUSTOMER else self.merchant_offer


@dataclass(frozen=True)
class QuoteState:
    status: QuoteStatus
    source: QuoteSource
    lines: tuple[Line, ...] = ()
    expires_at: datetime | None = None
    "True while the merchant's latest round awaits the customer's first answer."
    recallable: bool = False

    @property
    def awaiting(self) -> Party | None:
        return awaiting_party(self.lines) if self.status in TURN_STATUSES else None


TURN_STATUSES = frozenset({QuoteStatus.SUBMITTED, QuoteStatus.NEGOTIATING})


@dataclass(frozen=True)
class LineResponse:
    line_id: int
    action: LineAction
    price: Decimal | None = None


@dataclass(frozen=True)
class Change:
    """One line's offer or decision: what it was before and after."""

    by: Party
    "None when a decision is taken back (a withdrawn acceptance reopens the line)."
    action: LineAction | None
    price: Decimal | None
    before: Line
    after: Line


@dataclass(frozen=True)
class Outcome:
    status: QuoteStatus
    awaiting: Party | None
    lines: tuple[Line, ...]
    changes: tuple[Change, ...] = ()
    recallable: bool = False


def awaiting_party(lines: Sequence[Line]) -> Party | None:
    parties = {line.awaiting for line in lines if line.status is LineStatus.PENDING}
    if len(parties) > 1:
        raise AssertionError("pending lines await different parties")
    return parties.pop() if parties else None


def settle(lines: Sequence[Line]) -> tuple[QuoteStatus, Party | None]:
    """The quote's status after a round: pending lines keep it open, else accepted or rejected."""
    if any(line.status is LineStatus.PENDING for line in lines):
        return QuoteStatus.NEGOTIATING, awaiting_party(lines)
    if any(line.status is LineStatus.ACCEPTED for line in lines):
        return QuoteStatus.ACCEPTED, None
    return QuoteStatus.REJECTED, None


def past_date(state: QuoteState, now: datetime) -> bool:
    """True from the instant `expiresAt` names on (it is the end of the last valid day)."""
    return state.expires_at is not None and now >= state.expires_at


def is_expired(state: QuoteState, now: datetime) -> bool:
    """An open quote past its date is expired, whether or not the sweeper has passed yet."""
    return state.status in EXPIRING_STATUSES and past_date(state, now)


"What stays possible on an expired quote: reading its PDF, copying it into a new draft."
AFTER_EXPIRY = frozenset({A.DOWNLOAD_PDF, A.COPY})


def _refuse(message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE, message)


def permit(action: QuoteAction, actor: Actor) -> None:
    """Raise Forbidden unless `actor` (customer, or staff of their role) may ever take `action`."""
    if actor.party is Party.CUSTOMER and action not in CUSTOMER_ACTIONS:
        raise Forbidden(f"customers cannot {action.name.lower()}")
    if actor.party is Party.MERCHANT:
        if actor.role is None or action not in ROLE_ACTIONS[actor.role]:
            raise Forbidden(f"this staff role cannot {action.name.lower()}")
    if actor.party is None:
        raise Forbidden("the server acts only through expiry")


def check(state: QuoteState, action: QuoteAction, actor: Actor, now: datetime) -> None:
    """Raise Forbidden or DomainError unless `actor` may take `action` on `state` at `now`."""
    permit(action, actor)
    status = state.status
    if is_expired(state, now) or status is QuoteStatus.EXPIRED:
        if action in AFTER_EXPIRY and state.lines:
            return
        raise DomainError(ErrorCode.EXPIRED, "the quote has expired")
    if action is A.ISSUE and status is QuoteStatus.DRAFT and past_date(state, now):
        raise DomainError(ErrorCode.EXPIRED, "the draft's date has passed: extend it first")
    if action is A.WITHDRAW_ACCEPTANCE and status is QuoteStatus.ACCEPTED and past_date(state, now):
        # reopening would put an open quote past its date before the customer
        raise DomainError(ErrorCode.EXPIRED, "the quote's date has passed: it cannot reopen")
    if actor.party is Party.CUSTOMER and status is QuoteStatus.DRAFT:
        raise _refuse("the quote has not been issued")
    _check_state(state, action, actor.party)


def _check_state(state: QuoteState, action: QuoteAction, party: Party) -> None:
    status = state.status
    open_statuses = {QuoteStatus.REQUESTED, QuoteStatus.SUBMITTED, QuoteStatus.NEGOTIATING}
    if action is A.SUBMIT:
        if status is not QuoteStatus.REQUESTED:
            raise _refuse("only a requested quote can be submitted")
    elif action is A.LOOKUP_IMEIS:
        if status not in open_statuses | {QuoteStatus.DRAFT}:
            raise _refuse("devices can be looked up only while the quote is open")
    elif action is A.SEND_MESSAGE:
        if status is QuoteStatus.CANCELED:
            raise _refuse("the quote is canceled")
    elif action is A.COUNTER_OFFER:
        if status not in TURN_STATUSES:
            raise _refuse(f"a {status.value.lower()} quote takes no offers")
        if state.awaiting is not party:
            raise _refuse("it is not your turn")
    elif action in (A.ACCEPT_ALL_REMAINING, A.REJECT_ALL_REMAINING):
        if status is not QuoteStatus.NEGOTIATING or state.awaiting is not Party.CUSTOMER:
            raise _refuse("nothing awaits your answer")
        if action is A.ACCEPT_ALL_REMAINING and any(
            line.merchant_offer is None
            for line in state.lines
            if line.status is LineStatus.PENDING
        ):
            raise _refuse("a pending line has no offer from the merchant yet")
    elif action is A.WITHDRAW_ACCEPTANCE:
        if status is not QuoteStatus.ACCEPTED:
            raise _refuse("only an accepted quote that is not converted can be withdrawn")
        if not any(line.accepted_by is Party.CUSTOMER for line in state.lines):
            raise _refuse("you accepted no line of this quote")
    elif action is A.CONVERT_TO_BUY_ORDER:
        if status is not QuoteStatus.ACCEPTED:
            raise _refuse("only an accepted quote can be converted")
    elif action is A.EDIT:
        if status is not QuoteStatus.DRAFT:
            raise _refuse("only a draft can be edited")
    elif action is A.ISSUE:
        if status is not QuoteStatus.DRAFT:
            raise _refuse("only a draft can be issued")
        if not state.lines:
            raise _refuse("a quote needs at least one line to be issued")
    elif action is A.RECALL:
        if state.awaiting is not Party.CUSTOMER or not state.recallable:
            raise _refuse("there is no unanswered round of yours to recall")
    elif action is A.SHARE:
        if status in (QuoteStatus.DRAFT, QuoteStatus.CANCELED):
            raise _refuse(f"a {status.value.lower()} quote cannot be shared")
    elif action is A.CANCEL:
        if status in FINAL_STATUSES:
            raise _refuse(f"the quote is already {status.value.lower()}")
    elif action is A.DOWNLOAD_PDF:
        if not state.lines:
            raise _refuse("the quote has no lines yet")
    elif action is A.EXTEND:
        if status not in EXPIRING_STATUSES | {QuoteStatus.DRAFT}:
            raise _refuse(f"a {status.value.lower()} quote has no date to extend")
    elif action is A.COPY:
        if not state.lines:
            raise _refuse("the quote has no lines to copy")


def allowed(state: QuoteState, action: QuoteAction, actor: Actor, now: datetime) -> bool:
    try:
        check(state, action, actor, now)
    except (DomainError, Forbidden):
        return False
    return True


def available_actions(state: QuoteState, actor: Actor, now: datetime) -> list[QuoteAction]:
    """What `actor` may do now, in the enum's order."""
    if actor.party is None:
        return []
    return [
        action
        for action in QuoteAction
        if allowed(state, action, actor, now)
    ]


# ------------------------------------------------------------------ transitions


def submit(state: QuoteState, actor: Actor, lines: Sequence[Line], now: datetime) -> Outcome:
    """The customer's filled-in form: every line awaits the merchant's first answer."""
    check(state, A.SUBMIT, actor, now)
    if not lines:
        raise DomainError(ErrorCode.INVALID_INPUT, "list at least one device")
    for line in lines:
        if line.status is not LineStatus.PENDING or line.awaiting is not Party.MERCHANT:
            raise AssertionError("submitted lines await the merchant")
    return Outcome(QuoteStatus.SUBMITTED, Party.MERCHANT, tuple(lines))


def respond(
    state: QuoteState,
    actor: Actor,
    responses: Sequence[LineResponse],
    now: datetime,
    path: Sequence[str] = ("input", "lines"),
) -> Outcome:
    """One response round: the actor answers every pending line that awaits them."""
    check(state, A.COUNTER_OFFER, actor, now)
    party = actor.party
    assert party is not None
    other = Party.MERCHANT if party is Party.CUSTOMER else Party.CUSTOMER
    by_id = {line.id: line for line in state.lines}
    errors: list[DomainError] = []
    seen: set[int] = set()
    for index, response in enumerate(responses):
        at = [*path, str(index)]
        line = by_id.get(response.line_id)
        if line is None:
            errors.append(DomainError(ErrorCode.NOT_FOUND, "no such line", [*at, "lineId"]))
            continue
        if response.line_id in seen:
            errors.append(DomainError(ErrorCode.INVALID_INPUT, "line answered twice", at))
            continue
        seen.add(response.line_id)
        if line.status is not LineStatus.PENDING or line.awaiting is not party:
            errors.append(_refuse_at("this line does not await your answer", at))
            continue
        if response.action is LineAction.COUNTER:
            if response.price is None:
                errors.append(
                    DomainError(ErrorCode.INVALID_INPUT, "a counter needs a price", [*at, "price"])
                )
            elif response.price <= 0:
                errors.append(
                    DomainError(ErrorCode.INVALID_INPUT, "prices are positive", [*at, "price"])
                )
        else:
            if response.price is not None:
                errors.append(
                    DomainError(
                        ErrorCode.INVALID_INPUT,
                        "a price goes only with COUNTER",
                        [*at, "price"],
                    )
                )
            if response.action is LineAction.ACCEPT and line.price_of(other) is None:
                errors.append(_refuse_at("there is no price to accept on this line", at))
    missing = [
        line
        for line in state.lines
        if line.status is LineStatus.PENDING and line.awaiting is party and line.id not in seen
    ]
    if missing and not errors:
        errors.append(
            DomainError(
                ErrorCode.INVALID_INPUT,
                f"answer every line that awaits you ({len(missing)} unanswered)",
                list(path),
            )
        )
    if errors:
        raise DomainErrors(errors)

    changes = []
    new_lines = []
    answers = {response.line_id: response for response in responses}
    for line in state.lines:
        answer = answers.get(line.id)
        if answer is None:
            new_lines.append(line)
            continue
        after = _answer(line, party, other, answer)
        price = answer.price if answer.action is LineAction.COUNTER else after.agreed_price
        changes.append(Change(party, answer.action, price, line, after))
        new_lines.append(after)
    status, awaiting = settle(new_lines)
    recallable = party is Party.MERCHANT and awaiting is Party.CUSTOMER
    return Outcome(status, awaiting, tuple(new_lines), tuple(changes), recallable)


def _refuse_at(message: str, at: Sequence[str]) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE, message, at)


def _answer(line: Line, party: Party, other: Party, response: LineResponse) -> Line:
    if response.action is LineAction.ACCEPT:
        return replace(
            line,
            status=LineStatus.ACCEPTED,
            awaiting=None,
            agreed_price=line.price_of(other),
            accepted_by=party,
        )
    if response.action is LineAction.DECLINE:
        return replace(line, status=LineStatus.DECLINED, awaiting=None)
    if party is Party.CUSTOMER:
        return replace(line, customer_price=response.price, awaiting=Party.MERCHANT)
    return replace(line, merchant_offer=response.price, awaiting=Party.CUSTOMER)


def accept_all_remaining(state: QuoteState, actor: Actor, now: datetime) -> Outcome:
    """The customer accepts every pending line at the merchant's offer."""
    check(state, A.ACCEPT_ALL_REMAINING, actor, now)
    return _decide_pending(state, LineAction.ACCEPT, now)


def reject_all_remaining(state: QuoteState, actor: Actor, now: datetime) -> Outcome:
    """The customer declines every pending line."""
    check(state, A.REJECT_ALL_REMAINING, actor, now)
    return _decide_pending(state, LineAction.DECLINE, now)


def _decide_pending(state: QuoteState, action: LineAction, now: datetime) -> Outcome:
    responses = [
        LineResponse(line.id, action) for line in state.lines if line.status is LineStatus.PENDING
    ]
    return respond(state, Actor.customer(), responses, now)


def withdraw_acceptance(state: QuoteState, actor: Actor, now: datetime) -> Outcome:
    """The lines the customer accepted return to PENDING, the merchant's offers standing."""
    check(state, A.WITHDRAW_ACCEPTANCE, actor, now)
    changes = []
    lines = []
    for line in state.lines:
        if line.status is LineStatus.ACCEPTED and line.accepted_by is Party.CUSTOMER:
            after = replace(
                line,
                status=LineStatus.PENDING,
                awaiting=Party.CUSTOMER,
                agreed_price=None,
                accepted_by=None,
            )
            lines.append(after)
            changes.append(Change(Party.CUSTOMER, None, None, line, after))
        else:
            lines.append(line)
    return Outcome(QuoteStatus.NEGOTIATING, Party.CUSTOMER, tuple(lines), tuple(changes))


def issue(state: QuoteState, actor: Actor, now: datetime) -> Outcome:
    """A draft goes to the customer: every line awaits them, at the merchant's offer."""
    check(state, A.ISSUE, actor, now)
    lines = tuple(
        replace(line, status=LineStatus.PENDING, awaiting=Party.CUSTOMER) for line in state.lines
    )
    return Outcome(QuoteStatus.NEGOTIATING, Party.CUSTOMER, lines, recallable=True)


def recall(
    state: QuoteState,
    actor: Actor,
    previous_lines: Sequence[Line],
    previous_status: QuoteStatus,
    now: datetime,
) -> Outcome:
    """Void the merchant's unanswered round: lines and status return to what they were."""
    check(state, A.RECALL, actor, now)
    lines = tuple(previous_lines)
    if previous_status is QuoteStatus.DRAFT:
        lines = tuple(replace(line, awaiting=None) for line in lines)
        return Outcome(QuoteStatus.DRAFT, None, lines)
    return Outcome(previous_status, awaiting_party(lines), lines)


def extend(state: QuoteState, actor: Actor, expires_at: datetime, now: datetime) -> datetime:
    """Staff move an open quote's date later, before it has passed; the new date is returned."""
    check(state, A.EXTEND, actor, now)
    path = ["input", "expiresAt"]
    if expires_at <= now:
        raise DomainError(ErrorCode.INVALID_INPUT, "must be in the future", path)
    if state.expires_at is not None and expires_at <= state.expires_at:
        raise DomainError(ErrorCode.INVALID_INPUT, "must be later than the current date", path)
    return expires_at


def cancel(state: QuoteState, actor: Actor, now: datetime) -> Outcome:
    check(state, A.CANCEL, actor, now)
    return Outcome(QuoteStatus.CANCELED, None, state.lines)


def convert(state: QuoteState, actor: Actor, now: datetime) -> Outcome:
    check(state, A.CONVERT_TO_BUY_ORDER, actor, now)
    return Outcome(QuoteStatus.CONVERTED, None, state.lines)


def expire(state: QuoteState, now: datetime) -> Outcome | None:
    """The server's sweep: an open quote past its expiry date becomes EXPIRED; None if not due."""
    if not is_expired(state, now):
        return None
    return Outcome(QuoteStatus.EXPIRED, None, state.lines)
