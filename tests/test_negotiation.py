"""The negotiation rules, exhaustively: every status × action × actor, every transition.

Pure and fast: no database, no GraphQL. The expectations are written out below as tables
derived from SPEC §4 (and the contract's status descriptions), never computed by the module
under test, so a wrong rule in `models/negotiation.py` shows up as a failing cell.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import product

import pytest

from models.errors import DomainError, DomainErrors, ErrorCode, Forbidden
from models.negotiation import (
    Actor,
    Line,
    LineAction,
    LineResponse,
    LineStatus,
    Outcome,
    Party,
    QuoteAction,
    QuoteSource,
    QuoteState,
    QuoteStatus,
    StaffRole,
    accept_all_remaining,
    available_actions,
    cancel,
    check,
    convert,
    expire,
    extend,
    issue,
    recall,
    reject_all_remaining,
    respond,
    submit,
    withdraw_acceptance,
)

A = QuoteAction
S = QuoteStatus
CUSTOMER = Party.CUSTOMER
MERCHANT = Party.MERCHANT
PENDING = LineStatus.PENDING
ACCEPT = LineAction.ACCEPT
DECLINE = LineAction.DECLINE
COUNTER = LineAction.COUNTER

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
VALID_UNTIL = NOW + timedelta(days=14)
PAST = NOW - timedelta(days=1)


# ------------------------------------------------------------------ building quotes


def D(value: str | int) -> Decimal:
    return Decimal(value)


def drafted(line_id: int, offer: str | None) -> Line:
    """A line of a merchant-written draft: the merchant's offer, nobody's turn yet."""
    return Line(line_id, PENDING, None, merchant_offer=None if offer is None else D(offer))


def asked(line_id: int, customer: str | None) -> Line:
    """A submitted line: the customer's asking price awaits the merchant's first answer."""
    price = None if customer is None else D(customer)
    return Line(line_id, PENDING, MERCHANT, customer_price=price)


def offered(line_id: int, offer: str | None, customer: str | None = None) -> Line:
    """The merchant's offer awaits the customer."""
    return Line(
        line_id,
        PENDING,
        CUSTOMER,
        customer_price=None if customer is None else D(customer),
        merchant_offer=None if offer is None else D(offer),
    )


def countered(line_id: int, customer: str, offer: str | None = None) -> Line:
    """The customer's counter awaits the merchant."""
    return Line(
        line_id,
        PENDING,
        MERCHANT,
        customer_price=D(customer),
        merchant_offer=None if offer is None else D(offer),
    )


def accepted(line_id: int, by: Party, customer: str, offer: str) -> Line:
    """Accepted by `by` at the other party's price."""
    agreed = D(offer) if by is CUSTOMER else D(customer)
    return Line(
        line_id,
        LineStatus.ACCEPTED,
        None,
        customer_price=D(customer),
        merchant_offer=D(offer),
        agreed_price=agreed,
        accepted_by=by,
    )


def declined(line_id: int, customer: str | None, offer: str | None) -> Line:
    return Line(
        line_id,
        LineStatus.DECLINED,
        None,
        customer_price=None if customer is None else D(customer),
        merchant_offer=None if offer is None else D(offer),
    )


def quote(
    status: QuoteStatus,
    *lines: Line,
    source: QuoteSource = QuoteSource.TRADE_IN,
    expires_at: datetime | None = VALID_UNTIL,
    recallable: bool = False,
) -> QuoteState:
    return QuoteState(status, source, tuple(lines), expires_at, recallable)


def after(state: QuoteState, outcome: Outcome) -> QuoteState:
    """The quote once an outcome is saved."""
    return QuoteState(
        outcome.status, state.source, outcome.lines, state.expires_at, outcome.recallable
    )


def errors_of(excinfo: pytest.ExceptionInfo[DomainErrors]) -> list[tuple[ErrorCode, list[str]]]:
    return [(error.code, error.field or []) for error in excinfo.value.errors]


# ------------------------------------------------------------------ one quote per situation

STATES: dict[str, QuoteState] = {
    "draft-empty": quote(S.DRAFT, source=QuoteSource.MERCHANT),
    "draft": quote(S.DRAFT, drafted(1, "100"), drafted(2, "80"), source=QuoteSource.MERCHANT),
    # A draft whose explicit date has passed: it must be extended before it can be issued.
    "draft-past-date": quote(
        S.DRAFT, drafted(1, "100"), source=QuoteSource.MERCHANT, expires_at=PAST
    ),
    "requested": quote(S.REQUESTED, source=QuoteSource.REQUEST_LINK),
    "requested-expired": quote(S.REQUESTED, source=QuoteSource.REQUEST_LINK, expires_at=PAST),
    "submitted": quote(S.SUBMITTED, asked(1, "120"), asked(2, "90")),
    "submitted-expired": quote(S.SUBMITTED, asked(1, "120"), expires_at=PAST),
    # The merchant's latest round (here: issuing a draft) awaits the customer's first answer.
    "offered": quote(
        S.NEGOTIATING,
        offered(1, "100"),
        offered(2, "80"),
        source=QuoteSource.MERCHANT,
        recallable=True,
    ),
    # Awaiting the customer again after they withdrew: no merchant round to recall.
    "reopened": quote(
        S.NEGOTIATING,
        offered(1, "100", customer="120"),
        accepted(2, MERCHANT, customer="90", offer="85"),
    ),
    # Issued with a line the merchant has put no price on: it cannot be accepted as a whole.
    "offer-missing": quote(
        S.NEGOTIATING,
        offered(1, "100"),
        offered(2, None),
        source=QuoteSource.MERCHANT,
        recallable=True,
    ),
    "countered": quote(
        S.NEGOTIATING,
        countered(1, "110", offer="100"),
        declined(2, "90", "60"),
    ),
    "offered-expired": quote(
        S.NEGOTIATING, offered(1, "100", customer="120"), recallable=True, expires_at=PAST
    ),
    "accepted-by-customer": quote(
        S.ACCEPTED,
        accepted(1, CUSTOMER, customer="120", offer="100"),
        declined(2, "90", "60"),
    ),
    "accepted-by-merchant": quote(
        S.ACCEPTED,
        accepted(1, MERCHANT, customer="120", offer="100"),
        declined(2, "90", "60"),
    ),
    # ACCEPTED does not expire: the date only matters while the quote is open.
    "accepted-past-date": quote(
        S.ACCEPTED, accepted(1, CUSTOMER, customer="120", offer="100"), expires_at=PAST
    ),
    "rejected": quote(S.REJECTED, declined(1, "120", "100"), declined(2, "90", "60")),
    "converted": quote(S.CONVERTED, accepted(1, CUSTOMER, customer="120", offer="100")),
    "canceled": quote(S.CANCELED, offered(1, "100", customer="120")),
    "canceled-empty": quote(S.CANCELED, source=QuoteSource.REQUEST_LINK),
    "expired": quote(S.EXPIRED, offered(1, "100", customer="120"), expires_at=PAST),
    "expired-empty": quote(S.EXPIRED, source=QuoteSource.REQUEST_LINK, expires_at=PAST),
}

# ------------------------------------------------------------------ the rules, as tables
#
#   ok  allowed
#   st  DomainError INVALID_STATE  (not in this status, or not this party's turn)
#   ex  DomainError EXPIRED        (EXPIRED, or open and past expiresAt; the PDF stays readable)
#   --  Forbidden                  (this party may never do it)
#
# The customer's WDR is `ex` on an accepted quote past its date: a withdrawal would reopen it
# after its date. EXT moves the date of a quote still open; CPY copies a quote with lines into
# a new draft (an expired quote is copied, never revived).
#
# Staff rows hold for every role that may take the action at all (ROLES below).
# Customers never see a DRAFT (not issued; the link does not open it), so they can do nothing.

COLUMNS = {
    "SUB": A.SUBMIT,
    "LKP": A.LOOKUP_IMEIS,
    "MSG": A.SEND_MESSAGE,
    "CTR": A.COUNTER_OFFER,
    "ACC": A.ACCEPT_ALL_REMAINING,
    "REJ": A.REJECT_ALL_REMAINING,
    "WDR": A.WITHDRAW_ACCEPTANCE,
    "CNV": A.CONVERT_TO_BUY_ORDER,
    "EDT": A.EDIT,
    "ISS": A.ISSUE,
    "RCL": A.RECALL,
    "SHR": A.SHARE,
    "CAN": A.CANCEL,
    "PDF": A.DOWNLOAD_PDF,
    "EXT": A.EXTEND,
    "CPY": A.COPY,
}

RULES = """
                                    SUB LKP MSG CTR ACC REJ WDR CNV EDT ISS RCL SHR CAN PDF EXT CPY
draft-empty             customer     st  st  st  st  st  st  st  --  --  --  --  --  --  st  --  --
                        staff        --  ok  ok  st  --  --  --  st  ok  st  st  st  ok  st  ok  st
draft                   customer     st  st  st  st  st  st  st  --  --  --  --  --  --  st  --  --
                        staff        --  ok  ok  st  --  --  --  st  ok  ok  st  st  ok  ok  ok  ok
draft-past-date         customer     st  st  st  st  st  st  st  --  --  --  --  --  --  st  --  --
                        staff        --  ok  ok  st  --  --  --  st  ok  ex  st  st  ok  ok  ok  ok
requested               customer     ok  ok  ok  st  st  st  st  --  --  --  --  --  --  st  --  --
                        staff        --  ok  ok  st  --  --  --  st  st  st  st  ok  ok  st  ok  st
requested-expired       customer     ex  ex  ex  ex  ex  ex  ex  --  --  --  --  --  --  ex  --  --
                        staff        --  ex  ex  ex  --  --  --  ex  ex  ex  ex  ex  ex  ex  ex  ex
submitted               customer     st  ok  ok  st  st  st  st  --  --  --  --  --  --  ok  --  --
                        staff        --  ok  ok  ok  --  --  --  st  st  st  st  ok  ok  ok  ok  ok
submitted-expired       customer     ex  ex  ex  ex  ex  ex  ex  --  --  --  --  --  --  ok  --  --
                        staff        --  ex  ex  ex  --  --  --  ex  ex  ex  ex  ex  ex  ok  ex  ok
offered                 customer     st  ok  ok  ok  ok  ok  st  --  --  --  --  --  --  ok  --  --
                        staff        --  ok  ok  st  --  --  --  st  st  st  ok  ok  ok  ok  ok  ok
reopened                customer     st  ok  ok  ok  ok  ok  st  --  --  --  --  --  --  ok  --  --
                        staff        --  ok  ok  st  --  --  --  st  st  st  st  ok  ok  ok  ok  ok
offer-missing           customer     st  ok  ok  ok  st  ok  st  --  --  --  --  --  --  ok  --  --
                        staff        --  ok  ok  st  --  --  --  st  st  st  ok  ok  ok  ok  ok  ok
countered               customer     st  ok  ok  st  st  st  st  --  --  --  --  --  --  ok  --  --
                        staff        --  ok  ok  ok  --  --  --  st  st  st  st  ok  ok  ok  ok  ok
offered-expired         customer     ex  ex  ex  ex  ex  ex  ex  --  --  --  --  --  --  ok  --  --
                        staff        --  ex  ex  ex  --  --  --  ex  ex  ex  ex  ex  ex  ok  ex  ok
accepted-by-customer    customer     st  st  ok  st  st  st  ok  --  --  --  --  --  --  ok  --  --
                        staff        --  st  ok  st  --  --  --  ok  st  st  st  ok  ok  ok  st  ok
accepted-by-merchant    customer     st  st  ok  st  st  st  st  --  --  --  --  --  --  ok  --  --
                        staff        --  st  ok  st  --  --  --  ok  st  st  st  ok  ok  ok  st  ok
accepted-past-date      customer     st  st  ok  st  st  st  ex  --  --  --  --  --  --  ok  --  --
                        staff        --  st  ok  st  --  --  --  ok  st  st  st  ok  ok  ok  st  ok
rejected                customer     st  st  ok  st  st  st  st  --  --  --  --  --  --  ok  --  --
                        staff        --  st  ok  st  --  --  --  st  st  st  st  ok  st  ok  st  ok
converted               customer     st  st  ok  st  st  st  st  --  --  --  --  --  --  ok  --  --
                        staff        --  st  ok  st  --  --  --  st  st  st  st  ok  st  ok  st  ok
canceled                customer     st  st  st  st  st  st  st  --  --  --  --  --  --  ok  --  --
                        staff        --  st  st  st  --  --  --  st  st  st  st  st  st  ok  st  ok
canceled-empty          customer     st  st  st  st  st  st  st  --  --  --  --  --  --  st  --  --
                        staff        --  st  st  st  --  --  --  st  st  st  st  st  st  st  st  st
expired                 customer     ex  ex  ex  ex  ex  ex  ex  --  --  --  --  --  --  ok  --  --
                        staff        --  ex  ex  ex  --  --  --  ex  ex  ex  ex  ex  ex  ok  ex  ok
expired-empty           customer     ex  ex  ex  ex  ex  ex  ex  --  --  --  --  --  --  ex  --  --
                        staff        --  ex  ex  ex  --  --  --  ex  ex  ex  ex  ex  ex  ex  ex  ex
"""

# Which staff role may take which staff action at all (SPEC §3): OWNER and MANAGER do
# everything; SALES_REP negotiates, shares, converts; FINANCE settles payouts (it reads and
# talks); TECHNICIAN runs the intake bench (it looks devices up and reads).
ROLES = """
                 LKP MSG CTR CNV EDT ISS RCL SHR CAN PDF EXT CPY
OWNER             ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
MANAGER           ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
SALES_REP         ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
FINANCE           --  ok  --  --  --  --  --  --  --  ok  --  --
TECHNICIAN        ok  --  --  --  --  --  --  --  --  ok  --  --
"""


def _parse_rules() -> dict[tuple[str, str, QuoteAction], str]:
    header, *rows = RULES.strip("\n").splitlines()
    actions = [COLUMNS[name] for name in header.split()]
    table: dict[tuple[str, str, QuoteAction], str] = {}
    state_name = ""
    for row in rows:
        words = row.split()
        if words[0] not in ("customer", "staff"):
            state_name, *words = words
        side, *cells = words
        assert len(cells) == len(actions), row
        for action, cell in zip(actions, cells, strict=True):
            table[state_name, side, action] = cell
    return table


def _parse_roles() -> dict[tuple[StaffRole, QuoteAction], bool]:
    header, *rows = ROLES.strip("\n").splitlines()
    actions = [COLUMNS[name] for name in header.split()]
    table = {}
    for row in rows:
        role, *cells = row.split()
        for action, cell in zip(actions, cells, strict=True):
            table[StaffRole(role), action] = cell == "ok"
    return table


RULE_TABLE = _parse_rules()
# The rules know it, but this server has no mutation for it yet: a client is never offered it.
ROLE_TABLE = _parse_roles()

ACTORS: dict[str, Actor] = {
    "customer": Actor.customer(),
    **{role.value: Actor.staff(role) for role in StaffRole},
    "system": Actor.system(),
}


def expected(state_name: str, action: QuoteAction, actor: Actor) -> str:
    if actor.party is None:
        return "--"  # the server acts only through the expiry sweep
    if actor.party is CUSTOMER:
        return RULE_TABLE[state_name, "customer", action]
    assert actor.role is not None
    if not ROLE_TABLE.get((actor.role, action), False):
        return "--"
    return RULE_TABLE[state_name, "staff", action]


def test_the_tables_cover_every_status_action_and_role() -> None:
    assert {state.status for state in STATES.values()} == set(QuoteStatus)
    assert set(COLUMNS.values()) == set(QuoteAction)
    assert set(RULE_TABLE) == set(product(STATES, ("customer", "staff"), QuoteAction))
    assert {role for role, _ in ROLE_TABLE} == set(StaffRole)
    # A staff row never allows what the role table says no staff member may do, and back.
    staff_actions = {action for (_, action), may in ROLE_TABLE.items() if may}
    for (_, side, action), cell in RULE_TABLE.items():
        if side == "staff":
            assert (cell == "--") == (action not in staff_actions), action


# ------------------------------------------------------------------ check(): the full product


@pytest.mark.parametrize(
    ("state_name", "action", "actor_name"),
    list(product(STATES, QuoteAction, ACTORS)),
    ids=lambda value: str(value),
)
def test_check(state_name: str, action: QuoteAction, actor_name: str) -> None:
    state, actor = STATES[state_name], ACTORS[actor_name]
    want = expected(state_name, action, actor)
    if want == "ok":
        check(state, action, actor, NOW)
    elif want == "--":
        with pytest.raises(Forbidden):
            check(state, action, actor, NOW)
    else:
        with pytest.raises(DomainError) as excinfo:
            check(state, action, actor, NOW)
        assert excinfo.value.code is {"st": ErrorCode.INVALID_STATE, "ex": ErrorCode.EXPIRED}[want]


@pytest.mark.parametrize(
    ("state_name", "actor_name"), list(product(STATES, ACTORS)), ids=lambda value: str(value)
)
def test_available_actions_are_exactly_the_allowed_ones(state_name: str, actor_name: str) -> None:
    actor = ACTORS[actor_name]
    want = [
        action
        for action in QuoteAction
        if expected(state_name, action, actor) == "ok"
    ]
    assert available_actions(STATES[state_name], actor, NOW) == want


@pytest.mark.parametrize("action", list(QuoteAction))
def test_a_staff_member_without_a_role_may_do_nothing(action: QuoteAction) -> None:
    with pytest.raises(Forbidden):
        check(STATES["submitted"], action, Actor(MERCHANT), NOW)


def test_an_open_quote_expires_at_its_expiry_instant() -> None:
    state = replace(STATES["offered"], expires_at=NOW)
    with pytest.raises(DomainError) as excinfo:
        check(state, A.COUNTER_OFFER, Actor.customer(), NOW)
    assert excinfo.value.code is ErrorCode.EXPIRED
    check(state, A.COUNTER_OFFER, Actor.customer(), NOW - timedelta(microseconds=1))


def test_a_quote_without_expiry_date_never_expires() -> None:
    state = replace(STATES["offered"], expires_at=None)
    check(state, A.COUNTER_OFFER, Actor.customer(), NOW + timedelta(days=3650))


# ------------------------------------------------------------------ respond: a round

OWNER = Actor.staff(StaffRole.OWNER)
SALES_REP = Actor.staff(StaffRole.SALES_REP)
CUSTOMER_ACTOR = Actor.customer()


def test_merchant_counters_a_submission() -> None:
    state = STATES["submitted"]
    outcome = respond(
        state,
        SALES_REP,
        [LineResponse(1, COUNTER, D("100")), LineResponse(2, COUNTER, D("70"))],
        NOW,
    )
    assert outcome.status is S.NEGOTIATING
    assert outcome.awaiting is CUSTOMER
    assert outcome.recallable
    assert outcome.lines == (
        offered(1, "100", customer="120"),
        offered(2, "70", customer="90"),
    )
    assert [(c.by, c.action, c.price) for c in outcome.changes] == [
        (MERCHANT, COUNTER, D("100")),
        (MERCHANT, COUNTER, D("70")),
    ]
    assert [(c.before, c.after) for c in outcome.changes] == list(
        zip(state.lines, outcome.lines, strict=True)
    )


def test_merchant_accepts_the_customers_price() -> None:
    outcome = respond(
        STATES["submitted"],
        OWNER,
        [LineResponse(1, ACCEPT), LineResponse(2, COUNTER, D("70"))],
        NOW,
    )
    line = outcome.lines[0]
    assert line.status is LineStatus.ACCEPTED
    assert line.agreed_price == D("120")
    assert line.accepted_by is MERCHANT
    assert line.awaiting is None
    assert outcome.changes[0].price == D("120")
    assert (outcome.status, outcome.awaiting, outcome.recallable) == (S.NEGOTIATING, CUSTOMER, True)


def test_merchant_accepting_every_line_accepts_the_quote() -> None:
    outcome = respond(
        STATES["submitted"], OWNER, [LineResponse(1, ACCEPT), LineResponse(2, ACCEPT)], NOW
    )
    assert (outcome.status, outcome.awaiting) == (S.ACCEPTED, None)
    assert [line.agreed_price for line in outcome.lines] == [D("120"), D("90")]
    assert not outcome.recallable  # nothing awaits the customer


def test_merchant_declining_every_line_rejects_the_quote() -> None:
    outcome = respond(
        STATES["submitted"], OWNER, [LineResponse(1, DECLINE), LineResponse(2, DECLINE)], NOW
    )
    assert (outcome.status, outcome.awaiting, outcome.recallable) == (S.REJECTED, None, False)
    assert all(line.status is LineStatus.DECLINED for line in outcome.lines)
    assert all(line.agreed_price is None for line in outcome.lines)


def test_merchant_answers_a_customer_counter() -> None:
    state = STATES["countered"]
    outcome = respond(state, SALES_REP, [LineResponse(1, COUNTER, D("105"))], NOW)
    assert outcome.lines == (offered(1, "105", customer="110"), state.lines[1])
    assert (outcome.status, outcome.awaiting, outcome.recallable) == (S.NEGOTIATING, CUSTOMER, True)
    assert len(outcome.changes) == 1  # the declined line is untouched


def test_customer_counters() -> None:
    outcome = respond(
        STATES["offered"],
        CUSTOMER_ACTOR,
        [LineResponse(1, COUNTER, D("110")), LineResponse(2, COUNTER, D("95"))],
        NOW,
    )
    assert outcome.lines == (countered(1, "110", offer="100"), countered(2, "95", offer="80"))
    assert (outcome.status, outcome.awaiting) == (S.NEGOTIATING, MERCHANT)
    assert not outcome.recallable  # only the merchant's rounds can be recalled


def test_customer_accepts_at_the_merchants_offer() -> None:
    outcome = respond(STATES["reopened"], CUSTOMER_ACTOR, [LineResponse(1, ACCEPT)], NOW)
    assert outcome.lines[0] == accepted(1, CUSTOMER, customer="120", offer="100")
    assert outcome.lines[0].agreed_price == D("100")
    assert outcome.changes[0].price == D("100")
    assert (outcome.status, outcome.awaiting) == (S.ACCEPTED, None)


def test_customer_declining_keeps_earlier_merchant_acceptances() -> None:
    outcome = respond(STATES["reopened"], CUSTOMER_ACTOR, [LineResponse(1, DECLINE)], NOW)
    assert (outcome.status, outcome.awaiting) == (S.ACCEPTED, None)
    assert outcome.lines[1] == STATES["reopened"].lines[1]


def test_customer_declining_everything_rejects_the_quote() -> None:
    outcome = respond(
        STATES["offered"],
        CUSTOMER_ACTOR,
        [LineResponse(1, DECLINE), LineResponse(2, DECLINE)],
        NOW,
    )
    assert (outcome.status, outcome.awaiting) == (S.REJECTED, None)


def _round_status(
    party: Party, decisions: Sequence[LineAction], earlier_accepted: bool
) -> tuple[QuoteStatus, Party | None]:
    """SPEC §4: any line PENDING → NEGOTIATING awaiting its party; else ≥ 1 ACCEPTED → ACCEPTED;
    else REJECTED."""
    if COUNTER in decisions:
        return S.NEGOTIATING, (MERCHANT if party is CUSTOMER else CUSTOMER)
    if ACCEPT in decisions or earlier_accepted:
        return S.ACCEPTED, None
    return S.REJECTED, None


@pytest.mark.parametrize("earlier_accepted", [False, True], ids=["fresh", "one-already-accepted"])
@pytest.mark.parametrize("decisions", list(product(LineAction, repeat=3)), ids=str)
@pytest.mark.parametrize("party", list(Party))
def test_the_status_is_recomputed_after_every_round(
    party: Party, decisions: tuple[LineAction, ...], earlier_accepted: bool
) -> None:
    if party is CUSTOMER:
        lines = [offered(i, "100", customer="150") for i in (1, 2, 3)]
        actor = CUSTOMER_ACTOR
    else:
        lines = [countered(i, "150", offer="100") for i in (1, 2, 3)]
        actor = OWNER
    if earlier_accepted:
        lines.append(accepted(4, MERCHANT, customer="50", offer="40"))
    else:
        lines.append(declined(4, "50", "40"))
    state = quote(S.NEGOTIATING, *lines)
    responses = [
        LineResponse(i, action, D("125") if action is COUNTER else None)
        for i, action in zip((1, 2, 3), decisions, strict=True)
    ]
    outcome = respond(state, actor, responses, NOW)
    assert (outcome.status, outcome.awaiting) == _round_status(party, decisions, earlier_accepted)
    assert outcome.recallable == (party is MERCHANT and COUNTER in decisions)
    other = MERCHANT if party is CUSTOMER else CUSTOMER
    for line, action in zip(outcome.lines, decisions, strict=False):
        if action is ACCEPT:
            other_price = D("100" if other is MERCHANT else "150")
            assert line.agreed_price == line.price_of(other) == other_price
        else:
            assert line.agreed_price is None


# ------------------------------------------------------------------ respond: refusals


def _refusals(
    state: QuoteState, actor: Actor, responses: Sequence[LineResponse]
) -> list[tuple[ErrorCode, list[str]]]:
    with pytest.raises(DomainErrors) as excinfo:
        respond(state, actor, responses, NOW)
    return errors_of(excinfo)


def test_an_unknown_line_is_not_found() -> None:
    assert _refusals(
        STATES["offered"],
        CUSTOMER_ACTOR,
        [LineResponse(1, ACCEPT), LineResponse(99, ACCEPT), LineResponse(2, ACCEPT)],
    ) == [(ErrorCode.NOT_FOUND, ["input", "lines", "1", "lineId"])]


def test_a_line_answered_twice_is_refused() -> None:
    assert _refusals(
        STATES["offered"],
        CUSTOMER_ACTOR,
        [LineResponse(1, ACCEPT), LineResponse(2, ACCEPT), LineResponse(1, DECLINE)],
    ) == [(ErrorCode.INVALID_INPUT, ["input", "lines", "2"])]


def test_a_decided_line_cannot_be_answered() -> None:
    assert _refusals(
        STATES["reopened"],
        CUSTOMER_ACTOR,
        [LineResponse(1, ACCEPT), LineResponse(2, DECLINE)],
    ) == [(ErrorCode.INVALID_STATE, ["input", "lines", "1"])]


def test_lines_awaiting_both_parties_are_a_broken_quote_not_a_state() -> None:
    # One party's turn at a time: such a quote can only come from a bug, and the rules say so.
    mixed = quote(S.NEGOTIATING, countered(1, "110", offer="100"), offered(2, "80"))
    with pytest.raises(AssertionError):
        respond(mixed, OWNER, [LineResponse(1, ACCEPT)], NOW)


def test_every_line_awaiting_the_actor_must_be_answered() -> None:
    assert _refusals(STATES["offered"], CUSTOMER_ACTOR, [LineResponse(2, ACCEPT)]) == [
        (ErrorCode.INVALID_INPUT, ["input", "lines"])
    ]
    assert _refusals(STATES["submitted"], OWNER, []) == [
        (ErrorCode.INVALID_INPUT, ["input", "lines"])
    ]


@pytest.mark.parametrize("price", [None, D("0"), D("-1"), D("-0.01")], ids=str)
def test_a_counter_needs_a_positive_price(price: Decimal | None) -> None:
    assert _refusals(
        STATES["offered"],
        CUSTOMER_ACTOR,
        [LineResponse(1, ACCEPT), LineResponse(2, COUNTER, price)],
    ) == [(ErrorCode.INVALID_INPUT, ["input", "lines", "1", "price"])]


@pytest.mark.parametrize("action", [ACCEPT, DECLINE])
def test_a_price_goes_only_with_counter(action: LineAction) -> None:
    assert _refusals(
        STATES["submitted"],
        OWNER,
        [LineResponse(1, action, D("100")), LineResponse(2, DECLINE)],
    ) == [(ErrorCode.INVALID_INPUT, ["input", "lines", "0", "price"])]


def test_the_customer_cannot_accept_a_line_without_an_offer() -> None:
    assert _refusals(
        STATES["offer-missing"],
        CUSTOMER_ACTOR,
        [LineResponse(1, ACCEPT), LineResponse(2, ACCEPT)],
    ) == [(ErrorCode.INVALID_STATE, ["input", "lines", "1"])]
    # Countering or declining that line is fine.
    outcome = respond(
        STATES["offer-missing"],
        CUSTOMER_ACTOR,
        [LineResponse(1, ACCEPT), LineResponse(2, COUNTER, D("50"))],
        NOW,
    )
    assert (outcome.status, outcome.awaiting) == (S.NEGOTIATING, MERCHANT)


def test_the_merchant_cannot_accept_a_line_without_a_customer_price() -> None:
    state = quote(S.SUBMITTED, asked(1, None))
    assert _refusals(state, OWNER, [LineResponse(1, ACCEPT)]) == [
        (ErrorCode.INVALID_STATE, ["input", "lines", "0"])
    ]


def test_every_problem_of_a_round_is_reported_at_once() -> None:
    assert _refusals(
        quote(
            S.NEGOTIATING,
            offered(1, "100"),
            offered(2, "80"),
            offered(3, "60"),
            declined(4, "1", "1"),
        ),
        CUSTOMER_ACTOR,
        [
            LineResponse(7, ACCEPT),
            LineResponse(1, COUNTER),
            LineResponse(2, DECLINE, D("5")),
            LineResponse(4, ACCEPT),
            LineResponse(2, ACCEPT),
        ],
    ) == [
        (ErrorCode.NOT_FOUND, ["input", "lines", "0", "lineId"]),
        (ErrorCode.INVALID_INPUT, ["input", "lines", "1", "price"]),
        (ErrorCode.INVALID_INPUT, ["input", "lines", "2", "price"]),
        (ErrorCode.INVALID_STATE, ["input", "lines", "3"]),
        (ErrorCode.INVALID_INPUT, ["input", "lines", "4"]),
    ]


def test_errors_are_reported_under_the_given_input_path() -> None:
    with pytest.raises(DomainErrors) as excinfo:
        respond(
            STATES["offered"], CUSTOMER_ACTOR, [LineResponse(1, COUNTER)], NOW, path=("responses",)
        )
    assert errors_of(excinfo) == [(ErrorCode.INVALID_INPUT, ["responses", "0", "price"])]


@pytest.mark.parametrize(
    ("state_name", "actor", "error"),
    [
        ("offered", OWNER, ErrorCode.INVALID_STATE),  # not the merchant's turn
        ("countered", CUSTOMER_ACTOR, ErrorCode.INVALID_STATE),  # not the customer's turn
        ("submitted", CUSTOMER_ACTOR, ErrorCode.INVALID_STATE),
        ("accepted-by-customer", OWNER, ErrorCode.INVALID_STATE),
        ("offered-expired", CUSTOMER_ACTOR, ErrorCode.EXPIRED),
        ("submitted-expired", OWNER, ErrorCode.EXPIRED),
    ],
)
def test_a_round_out_of_turn_is_refused(state_name: str, actor: Actor, error: ErrorCode) -> None:
    state = STATES[state_name]
    pending = [LineResponse(line.id, DECLINE) for line in state.lines if line.status is PENDING]
    with pytest.raises(DomainError) as excinfo:
        respond(state, actor, pending, NOW)
    assert excinfo.value.code is error


@pytest.mark.parametrize("role", [StaffRole.FINANCE, StaffRole.TECHNICIAN])
def test_finance_and_technicians_do_not_negotiate(role: StaffRole) -> None:
    with pytest.raises(Forbidden):
        respond(STATES["submitted"], Actor.staff(role), [LineResponse(1, DECLINE)], NOW)


# ------------------------------------------------------------------ the customer's shortcuts


def test_accept_all_remaining_accepts_every_pending_line_at_the_merchants_offer() -> None:
    state = quote(
        S.NEGOTIATING,
        offered(1, "100", customer="120"),
        declined(2, "90", "60"),
        offered(3, "40"),
        accepted(4, MERCHANT, customer="30", offer="25"),
    )
    outcome = accept_all_remaining(state, CUSTOMER_ACTOR, NOW)
    assert (outcome.status, outcome.awaiting) == (S.ACCEPTED, None)
    assert outcome.lines == (
        accepted(1, CUSTOMER, customer="120", offer="100"),
        state.lines[1],
        Line(3, LineStatus.ACCEPTED, None, None, D("40"), D("40"), CUSTOMER),
        state.lines[3],
    )
    assert [(c.by, c.action, c.price) for c in outcome.changes] == [
        (CUSTOMER, ACCEPT, D("100")),
        (CUSTOMER, ACCEPT, D("40")),
    ]


Shortcut = Callable[[QuoteState, Actor, datetime], Outcome]
Refusal = ErrorCode | type[Forbidden]


def assert_refused(refusal: Refusal, call: Callable[[], object]) -> None:
    """`call` raises Forbidden, or a DomainError with the given code."""
    if refusal is Forbidden:
        with pytest.raises(Forbidden):
            call()
        return
    with pytest.raises(DomainError) as excinfo:
        call()
    assert excinfo.value.code is refusal


@pytest.mark.parametrize(
    ("shortcut", "state_name", "actor", "refusal"),
    [
        (accept_all_remaining, "offer-missing", CUSTOMER_ACTOR, ErrorCode.INVALID_STATE),
        (accept_all_remaining, "countered", CUSTOMER_ACTOR, ErrorCode.INVALID_STATE),
        (accept_all_remaining, "accepted-by-customer", CUSTOMER_ACTOR, ErrorCode.INVALID_STATE),
        (accept_all_remaining, "offered-expired", CUSTOMER_ACTOR, ErrorCode.EXPIRED),
        (accept_all_remaining, "offered", OWNER, Forbidden),
        (reject_all_remaining, "countered", CUSTOMER_ACTOR, ErrorCode.INVALID_STATE),
        (reject_all_remaining, "accepted-by-customer", CUSTOMER_ACTOR, ErrorCode.INVALID_STATE),
        (reject_all_remaining, "offered-expired", CUSTOMER_ACTOR, ErrorCode.EXPIRED),
        (reject_all_remaining, "offered", OWNER, Forbidden),
    ],
    ids=lambda value: getattr(value, "__name__", None) or str(value),
)
def test_the_shortcuts_are_refused_out_of_turn(
    shortcut: Shortcut, state_name: str, actor: Actor, refusal: Refusal
) -> None:
    assert_refused(refusal, lambda: shortcut(STATES[state_name], actor, NOW))


def test_reject_all_remaining_declines_lines_without_an_offer_too() -> None:
    outcome = reject_all_remaining(STATES["offer-missing"], CUSTOMER_ACTOR, NOW)
    assert (outcome.status, outcome.awaiting) == (S.REJECTED, None)


def test_reject_all_remaining_rejects_the_quote() -> None:
    outcome = reject_all_remaining(STATES["offered"], CUSTOMER_ACTOR, NOW)
    assert (outcome.status, outcome.awaiting, outcome.recallable) == (S.REJECTED, None, False)
    assert all(line.status is LineStatus.DECLINED for line in outcome.lines)
    assert [(c.by, c.action, c.price) for c in outcome.changes] == [
        (CUSTOMER, DECLINE, None),
        (CUSTOMER, DECLINE, None),
    ]


def test_reject_all_remaining_keeps_what_the_merchant_accepted() -> None:
    outcome = reject_all_remaining(STATES["reopened"], CUSTOMER_ACTOR, NOW)
    assert (outcome.status, outcome.awaiting) == (S.ACCEPTED, None)
    assert outcome.lines == (
        declined(1, "120", "100"),
        accepted(2, MERCHANT, customer="90", offer="85"),
    )


def test_withdraw_reopens_what_the_customer_accepted() -> None:
    state = quote(
        S.ACCEPTED,
        accepted(1, CUSTOMER, customer="120", offer="100"),
        accepted(2, MERCHANT, customer="90", offer="85"),
        declined(3, "50", "20"),
        accepted(4, CUSTOMER, customer="70", offer="65"),
    )
    outcome = withdraw_acceptance(state, CUSTOMER_ACTOR, NOW)
    assert (outcome.status, outcome.awaiting, outcome.recallable) == (
        S.NEGOTIATING,
        CUSTOMER,
        False,
    )
    assert outcome.lines == (
        offered(1, "100", customer="120"),
        state.lines[1],
        state.lines[2],
        offered(4, "65", customer="70"),
    )
    assert [(c.by, c.action, c.price, c.before.id) for c in outcome.changes] == [
        (CUSTOMER, None, None, 1),
        (CUSTOMER, None, None, 4),
    ]
    # ... and the customer may accept again at the same offers.
    again = accept_all_remaining(after(state, outcome), CUSTOMER_ACTOR, NOW)
    assert again.lines == state.lines


@pytest.mark.parametrize(
    ("state_name", "actor", "refusal"),
    [
        ("accepted-by-merchant", CUSTOMER_ACTOR, ErrorCode.INVALID_STATE),
        ("converted", CUSTOMER_ACTOR, ErrorCode.INVALID_STATE),
        ("offered", CUSTOMER_ACTOR, ErrorCode.INVALID_STATE),
        ("expired", CUSTOMER_ACTOR, ErrorCode.EXPIRED),
        ("accepted-by-customer", OWNER, Forbidden),
    ],
)
def test_withdrawal_refusals(state_name: str, actor: Actor, refusal: Refusal) -> None:
    assert_refused(refusal, lambda: withdraw_acceptance(STATES[state_name], actor, NOW))


# ------------------------------------------------------------------ the merchant's actions


def test_issue_puts_every_draft_line_before_the_customer() -> None:
    outcome = issue(STATES["draft"], SALES_REP, NOW)
    assert (outcome.status, outcome.awaiting, outcome.recallable) == (
        S.NEGOTIATING,
        CUSTOMER,
        True,
    )
    assert outcome.lines == (offered(1, "100"), offered(2, "80"))


def test_issue_needs_a_draft_with_a_line() -> None:
    with pytest.raises(DomainError) as excinfo:
        issue(STATES["draft-empty"], OWNER, NOW)
    assert excinfo.value.code is ErrorCode.INVALID_STATE
    with pytest.raises(DomainError) as excinfo:
        issue(STATES["offered"], OWNER, NOW)
    assert excinfo.value.code is ErrorCode.INVALID_STATE
    with pytest.raises(Forbidden):
        issue(STATES["draft"], Actor.staff(StaffRole.FINANCE), NOW)


def test_recalling_an_issue_returns_the_quote_to_draft() -> None:
    draft = STATES["draft"]
    issued = after(draft, issue(draft, OWNER, NOW))
    outcome = recall(issued, OWNER, draft.lines, S.DRAFT, NOW)
    assert (outcome.status, outcome.awaiting, outcome.recallable) == (S.DRAFT, None, False)
    assert outcome.lines == draft.lines
    assert after(issued, outcome) == draft


def test_recalling_a_first_answer_returns_the_submission_to_the_merchant() -> None:
    submitted = STATES["submitted"]
    answered = after(
        submitted,
        respond(
            submitted, OWNER, [LineResponse(1, ACCEPT), LineResponse(2, COUNTER, D("70"))], NOW
        ),
    )
    outcome = recall(answered, SALES_REP, submitted.lines, S.SUBMITTED, NOW)
    assert (outcome.status, outcome.awaiting, outcome.recallable) == (S.SUBMITTED, MERCHANT, False)
    assert outcome.lines == submitted.lines


def test_recalling_a_later_round_returns_the_turn_to_the_merchant() -> None:
    countered_state = STATES["countered"]
    answered = after(
        countered_state,
        respond(countered_state, OWNER, [LineResponse(1, COUNTER, D("105"))], NOW),
    )
    assert answered.recallable
    outcome = recall(answered, OWNER, countered_state.lines, S.NEGOTIATING, NOW)
    assert (outcome.status, outcome.awaiting) == (S.NEGOTIATING, MERCHANT)
    assert outcome.lines == countered_state.lines
    # Once recalled, that round is gone: nothing is left to recall.
    with pytest.raises(DomainError):
        recall(after(answered, outcome), OWNER, countered_state.lines, S.NEGOTIATING, NOW)


@pytest.mark.parametrize("state_name", ["countered", "accepted-by-merchant", "submitted"])
def test_the_recall_flag_alone_does_not_make_a_round_recallable(state_name: str) -> None:
    # Only a round that awaits the customer can be recalled, whatever a stale flag says.
    state = replace(STATES[state_name], recallable=True)
    with pytest.raises(DomainError) as excinfo:
        recall(state, OWNER, state.lines, state.status, NOW)
    assert excinfo.value.code is ErrorCode.INVALID_STATE


def test_a_recalled_draft_awaits_nobody() -> None:
    issued = after(STATES["draft"], issue(STATES["draft"], OWNER, NOW))
    outcome = recall(issued, OWNER, issued.lines, S.DRAFT, NOW)
    assert outcome.lines == STATES["draft"].lines
    assert all(line.awaiting is None for line in outcome.lines)


def test_a_round_the_customer_answered_cannot_be_recalled() -> None:
    issued = after(STATES["draft"], issue(STATES["draft"], OWNER, NOW))
    answered = after(
        issued,
        respond(
            issued,
            CUSTOMER_ACTOR,
            [LineResponse(1, COUNTER, D("120")), LineResponse(2, ACCEPT)],
            NOW,
        ),
    )
    with pytest.raises(DomainError) as excinfo:
        recall(answered, OWNER, STATES["draft"].lines, S.DRAFT, NOW)
    assert excinfo.value.code is ErrorCode.INVALID_STATE
    with pytest.raises(DomainError) as excinfo:
        recall(STATES["reopened"], OWNER, (), S.NEGOTIATING, NOW)
    assert excinfo.value.code is ErrorCode.INVALID_STATE


@pytest.mark.parametrize(
    "state_name",
    ["draft", "requested", "submitted", "offered", "countered", "accepted-by-customer"],
)
def test_cancel_an_open_quote(state_name: str) -> None:
    state = STATES[state_name]
    outcome = cancel(state, OWNER, NOW)
    assert (outcome.status, outcome.awaiting, outcome.lines) == (S.CANCELED, None, state.lines)


@pytest.mark.parametrize(
    ("state_name", "code"),
    [
        ("rejected", ErrorCode.INVALID_STATE),
        ("converted", ErrorCode.INVALID_STATE),
        ("canceled", ErrorCode.INVALID_STATE),
        ("expired", ErrorCode.EXPIRED),
        ("offered-expired", ErrorCode.EXPIRED),
    ],
)
def test_a_final_quote_cannot_be_canceled(state_name: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as excinfo:
        cancel(STATES[state_name], OWNER, NOW)
    assert excinfo.value.code is code


def test_convert_an_accepted_quote() -> None:
    state = STATES["accepted-by-merchant"]
    outcome = convert(state, SALES_REP, NOW)
    assert (outcome.status, outcome.awaiting, outcome.lines) == (S.CONVERTED, None, state.lines)
    with pytest.raises(DomainError) as excinfo:
        convert(after(state, outcome), SALES_REP, NOW)
    assert excinfo.value.code is ErrorCode.INVALID_STATE
    with pytest.raises(Forbidden):
        convert(state, Actor.staff(StaffRole.FINANCE), NOW)


# ------------------------------------------------------------------ submission and expiry


def test_submit_a_requested_quote() -> None:
    lines = [asked(1, "120"), asked(2, "90")]
    outcome = submit(STATES["requested"], CUSTOMER_ACTOR, lines, NOW)
    assert (outcome.status, outcome.awaiting, outcome.lines, outcome.recallable) == (
        S.SUBMITTED,
        MERCHANT,
        tuple(lines),
        False,
    )


def test_submit_refusals() -> None:
    with pytest.raises(DomainError) as excinfo:
        submit(STATES["requested"], CUSTOMER_ACTOR, [], NOW)
    assert excinfo.value.code is ErrorCode.INVALID_INPUT
    with pytest.raises(DomainError) as excinfo:
        submit(STATES["submitted"], CUSTOMER_ACTOR, [asked(3, "1")], NOW)
    assert excinfo.value.code is ErrorCode.INVALID_STATE
    with pytest.raises(DomainError) as excinfo:
        submit(STATES["requested-expired"], CUSTOMER_ACTOR, [asked(1, "1")], NOW)
    assert excinfo.value.code is ErrorCode.EXPIRED
    with pytest.raises(Forbidden):
        submit(STATES["requested"], OWNER, [asked(1, "1")], NOW)


# Expiry applies to REQUESTED, SUBMITTED and NEGOTIATING past expiresAt, and nothing else.
EXPIRES = {
    S.DRAFT: False,
    S.REQUESTED: True,
    S.SUBMITTED: True,
    S.NEGOTIATING: True,
    S.ACCEPTED: False,
    S.REJECTED: False,
    S.CONVERTED: False,
    S.CANCELED: False,
    S.EXPIRED: False,
}


@pytest.mark.parametrize("status", list(QuoteStatus))
def test_expire(status: QuoteStatus) -> None:
    lines = (offered(1, "100"),)
    past_due = quote(status, *lines, expires_at=PAST)
    outcome = expire(past_due, NOW)
    if EXPIRES[status]:
        assert outcome is not None
        assert (outcome.status, outcome.awaiting, outcome.lines) == (S.EXPIRED, None, lines)
    else:
        assert outcome is None
    assert expire(quote(status, *lines, expires_at=VALID_UNTIL), NOW) is None
    assert expire(quote(status, *lines, expires_at=None), NOW) is None


def test_nothing_changes_after_expiry() -> None:
    state = STATES["offered-expired"]
    expired_state = after(state, expire(state, NOW) or pytest.fail("not expired"))
    for name, actor in ACTORS.items():
        want = {"customer": [A.DOWNLOAD_PDF], "system": []}.get(name)
        if want is None:
            want = [A.DOWNLOAD_PDF] + ([A.COPY] if ROLE_TABLE[StaffRole(name), A.COPY] else [])
        assert available_actions(expired_state, actor, NOW) == want


# ------------------------------------------------------------------ random walk: invariants


def other_party(party: Party) -> Party:
    return MERCHANT if party is CUSTOMER else CUSTOMER


def assert_invariants(state: QuoteState) -> None:
    pending = [line for line in state.lines if line.status is PENDING]
    if state.status in (S.SUBMITTED, S.NEGOTIATING):
        assert pending, "an open negotiation has a pending line"
        assert len({line.awaiting for line in pending}) == 1, "one party's turn at a time"
        assert state.awaiting in (CUSTOMER, MERCHANT)
    else:
        assert state.awaiting is None
    if state.status is S.SUBMITTED:
        assert state.awaiting is MERCHANT
    if state.status is S.DRAFT:
        assert all(line.awaiting is None for line in state.lines)
    if state.status in (S.ACCEPTED, S.CONVERTED):
        assert not pending
        assert any(line.status is LineStatus.ACCEPTED for line in state.lines)
    if state.status is S.REJECTED:
        assert not pending
        assert all(line.status is LineStatus.DECLINED for line in state.lines)
    if state.recallable:
        assert state.status is S.NEGOTIATING and state.awaiting is CUSTOMER
    for line in state.lines:
        is_accepted = line.status is LineStatus.ACCEPTED
        assert (line.agreed_price is not None) is is_accepted, "agreed exactly when accepted"
        assert (line.accepted_by is not None) is is_accepted
        if line.status is not PENDING:
            assert line.awaiting is None
        if line.accepted_by is not None:
            assert line.agreed_price == line.price_of(other_party(line.accepted_by))
        for price in (line.customer_price, line.merchant_offer, line.agreed_price):
            assert price is None or price > 0


@dataclass
class Walk:
    """One quote on its way, with what a recall would restore."""

    rng: random.Random
    state: QuoteState
    now: datetime
    before_round: tuple[tuple[Line, ...], QuoteStatus] | None = None
    next_id: int = 1

    def price(self) -> Decimal:
        return Decimal(self.rng.randint(1, 50_000)) / 100

    def new_lines(self, make: Callable[[int, Decimal], Line]) -> tuple[Line, ...]:
        lines = []
        for _ in range(self.rng.randint(1, 4)):
            lines.append(make(self.next_id, self.price()))
            self.next_id += 1
        return tuple(lines)

    def fresh_quote(self) -> None:
        expires_at = self.now + timedelta(days=self.rng.choice([1, 5, 14]))
        kind = self.rng.choice(["request", "trade-in", "draft"])
        if kind == "request":
            self.state = QuoteState(S.REQUESTED, QuoteSource.REQUEST_LINK, (), expires_at)
        elif kind == "trade-in":
            lines = self.new_lines(lambda i, p: Line(i, PENDING, MERCHANT, customer_price=p))
            self.state = QuoteState(S.SUBMITTED, QuoteSource.TRADE_IN, lines, expires_at)
        else:
            self.state = QuoteState(S.DRAFT, QuoteSource.MERCHANT, (), expires_at)
        self.before_round = None

    def responses(self, party: Party) -> list[LineResponse]:
        answers = []
        for line in self.state.lines:
            if line.status is not PENDING or line.awaiting is not party:
                continue
            choices = [DECLINE, COUNTER, COUNTER]
            if line.price_of(other_party(party)) is not None:
                choices += [ACCEPT, ACCEPT]
            action = self.rng.choice(choices)
            answers.append(
                LineResponse(line.id, action, self.price() if action is COUNTER else None)
            )
        self.rng.shuffle(answers)
        return answers

    def spoil(self, answers: list[LineResponse]) -> list[LineResponse]:
        """A round a careless client might send: the rules must refuse it."""
        spoiled = list(answers)
        how = self.rng.choice(["drop", "twice", "unknown", "zero", "price-on-decline"])
        if how == "drop":
            spoiled.pop(self.rng.randrange(len(spoiled)))
        elif how == "twice":
            spoiled.append(self.rng.choice(spoiled))
        elif how == "unknown":
            spoiled.append(LineResponse(10**9, DECLINE))
        elif how == "zero":
            spoiled[0] = LineResponse(spoiled[0].line_id, COUNTER, Decimal(0))
        else:
            spoiled[0] = LineResponse(spoiled[0].line_id, DECLINE, Decimal(1))
        return spoiled

    def take(self, action: QuoteAction, actor: Actor) -> Outcome | None:
        state, now = self.state, self.now
        if action is A.SUBMIT:
            lines = self.new_lines(lambda i, p: Line(i, PENDING, MERCHANT, customer_price=p))
            return submit(state, actor, lines, now)
        if action is A.COUNTER_OFFER:
            assert actor.party is not None
            answers = self.responses(actor.party)
            if self.rng.random() < 0.1:
                with pytest.raises(DomainErrors):
                    respond(state, actor, self.spoil(answers), now)
            if actor.party is MERCHANT:
                self.before_round = (state.lines, state.status)
            return respond(state, actor, answers, now)
        if action is A.ACCEPT_ALL_REMAINING:
            return accept_all_remaining(state, actor, now)
        if action is A.REJECT_ALL_REMAINING:
            return reject_all_remaining(state, actor, now)
        if action is A.WITHDRAW_ACCEPTANCE:
            return withdraw_acceptance(state, actor, now)
        if action is A.ISSUE:
            self.before_round = (state.lines, state.status)
            return issue(state, actor, now)
        if action is A.RECALL:
            assert self.before_round is not None, "recallable only after a merchant round"
            lines, status = self.before_round
            return recall(state, actor, lines, status, now)
        if action is A.CANCEL:
            return cancel(state, actor, now)
        if action is A.CONVERT_TO_BUY_ORDER:
            return convert(state, actor, now)
        if action is A.EXTEND:
            later = max(now, state.expires_at or now) + timedelta(days=self.rng.choice([1, 7]))
            self.state = replace(state, expires_at=extend(state, actor, later, now))
            return None
        if action is A.EDIT:
            lines = self.new_lines(lambda i, p: Line(i, PENDING, None, merchant_offer=p))
            self.state = replace(state, lines=lines if self.rng.random() < 0.9 else ())
            return None
        return None  # look-ups, messages, shares and downloads change no rule state

    def refused(self, action: QuoteAction, actor: Actor) -> None:
        """A transition the viewer was not offered must refuse, whatever its arguments."""
        state, now = self.state, self.now
        calls: dict[QuoteAction, Callable[[], object]] = {
            A.SUBMIT: lambda: submit(state, actor, [Line(0, PENDING, MERCHANT, D(1))], now),
            A.COUNTER_OFFER: lambda: respond(
                state, actor, self.responses(actor.party or CUSTOMER), now
            ),
            A.ACCEPT_ALL_REMAINING: lambda: accept_all_remaining(state, actor, now),
            A.REJECT_ALL_REMAINING: lambda: reject_all_remaining(state, actor, now),
            A.WITHDRAW_ACCEPTANCE: lambda: withdraw_acceptance(state, actor, now),
            A.ISSUE: lambda: issue(state, actor, now),
            A.RECALL: lambda: recall(state, actor, state.lines, state.status, now),
            A.CANCEL: lambda: cancel(state, actor, now),
            A.CONVERT_TO_BUY_ORDER: lambda: convert(state, actor, now),
        }
        call = calls.get(action, lambda: check(state, action, actor, now))
        with pytest.raises((Forbidden, DomainError)):
            call()


WALK_ACTORS = list(ACTORS.values())
PASSIVE_ACTIONS = {A.LOOKUP_IMEIS, A.SEND_MESSAGE, A.SHARE, A.DOWNLOAD_PDF, A.COPY}


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_random_walk_keeps_the_invariants(seed: int) -> None:
    rng = random.Random(seed)
    walk = Walk(rng, QuoteState(S.DRAFT, QuoteSource.MERCHANT), NOW)
    walk.fresh_quote()
    seen_statuses: set[QuoteStatus] = set()
    seen_actions: set[QuoteAction] = set()
    for _ in range(3000):
        seen_statuses.add(walk.state.status)
        assert_invariants(walk.state)
        if walk.state.status in (S.REJECTED, S.CONVERTED, S.CANCELED, S.EXPIRED):
            walk.fresh_quote()
            continue

        # Time passes now and then; the sweeper is sometimes late, and the rules must not be.
        if rng.random() < 0.02:
            walk.now += timedelta(days=rng.choice([1, 3, 7]))
        if rng.random() < 0.5:
            expiry = expire(walk.state, walk.now)
            if expiry is not None:
                walk.state = after(walk.state, expiry)
                continue

        actor = rng.choice(WALK_ACTORS)
        offered_actions = available_actions(walk.state, actor, walk.now)
        not_offered = [
            action
            for action in QuoteAction
            if action not in offered_actions
        ]
        if not_offered:
            walk.refused(rng.choice(not_offered), actor)
        if not offered_actions:
            continue
        # Prefer the actions that move the quote, so the walk goes somewhere.
        moving = [a for a in offered_actions if a not in PASSIVE_ACTIONS]
        action = rng.choice(moving if moving and rng.random() < 0.9 else offered_actions)
        seen_actions.add(action)
        before = walk.state
        outcome = walk.take(action, actor)
        if outcome is None:
            continue
        walk.state = after(before, outcome)
        assert outcome.awaiting == walk.state.awaiting
        for change in outcome.changes:
            assert change.by is actor.party
            assert change.before in before.lines and change.after in outcome.lines
    assert seen_statuses == set(QuoteStatus)
    assert seen_actions == set(QuoteAction)
