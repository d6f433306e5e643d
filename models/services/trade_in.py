"""The public trade-in page: submitting a trade-in, the instant quote before it, and the
page's questionnaire and instant-offer display that staff set."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from models import negotiation as rules
from models import pricing
from models import validation as v
from models.expiry import valid_until
from models.enums import CarrierLock, DeviceCondition
from models.errors import DomainError, ErrorCode
from models.organization import Organization
from models.quote import Quote
from models.services import device_input, idempotency
from models.services.caller import Caller, Deps
from models.services.instant_offers import Described, quote_device
from models.services.journal import unit_of_work
from models.services.links import link_token
from models.services.mailing import customer_link, email_customer
from models.services.organizations import BRANDING_ROLES
from models.services.requests import SubmissionIn, fill_submission, new_quote

KEY = re.compile(r"^[a-z0-9_]{1,40}$")
MAX_QUESTIONS = 20
MAX_OPTIONS = 20


@dataclass(frozen=True)
class TradeInIn:
    organization_slug: str
    submission: SubmissionIn


async def open_organization(slug: str, path: Sequence[str]) -> Organization:
    """The organization of a public page; NOT_FOUND when it takes no trade-ins."""
    organization = await Organization.get_or_none(slug=slug.strip()[:64])
    if organization is None or not organization.accepts_trade_ins:
        raise DomainError(ErrorCode.NOT_FOUND, "no such trade-in page", list(path))
    return organization


async def submit_trade_in(deps: Deps, caller: Caller, data: TradeInIn) -> tuple[Quote, str]:
    """A new quote from the trade-in page, straight in SUBMITTED; its link, also emailed."""
    now = deps.clock()
    key = idempotency.clean_key(data.submission.idempotency_key)
    organization = await open_organization(data.organization_slug, ["input", "organizationSlug"])
    scope = "trade-in"
    request = replace(data, submission=replace(data.submission, idempotency_key=None))
    async with unit_of_work(deps) as pending:
        if key is not None:  # retries with one key queue up behind each other
            await Organization.filter(id=organization.id).select_for_update().first()
            earlier = await idempotency.replay(organization.id, scope, key, request)
            if earlier is not None:
                quote = await Quote.get(id=earlier["quoteId"])
                return quote, customer_link(deps, quote)
        quote = await new_quote(
            organization,
            status=rules.QuoteStatus.REQUESTED,
            source=rules.QuoteSource.TRADE_IN,
            expires_at=valid_until(now, organization.quote_validity_days, organization.time_zone),
            now=now,
        )
        customer = Caller(
            organization_id=organization.id,
            quote_id=quote.id,
            client_ip=caller.client_ip,
            user_agent=caller.user_agent,
        )
        await fill_submission(deps, customer, quote, data.submission, pending, now)
        await email_customer(deps, quote, "trade_in_received", now)
        await idempotency.remember(organization.id, scope, key, {"quoteId": quote.id}, request)
    return quote, customer_link(deps, quote)


def access_token(deps: Deps, quote: Quote) -> str:
    return link_token(deps.secret_key, quote.id, quote.link_salt)


async def instant_quote(
    caller: Caller, slug: str, device: Described
) -> tuple[Organization, pricing.Offer | None]:
    """What the organization would pay for this device now; None when the grid has no price.
    The public sees prices only where the organization shows instant offers."""
    organization = await open_organization(slug, ["input", "organizationSlug"])
    own = caller.is_staff and caller.organization_id == organization.id
    if not (own or organization.show_instant_offers):
        raise DomainError(
            ErrorCode.NOT_FOUND, "this organization gives no instant quotes", ["input", "organizationSlug"]
        )
    found = device_input.Collector()
    brand = found.run(v.text, device.brand, ["input", "brand"], required=True)
    model = found.run(v.text, device.model, ["input", "model"], required=True)
    storage = found.run(v.text, device.storage, ["input", "storage"], limit=32)
    answers = []
    for i, (question, answer) in enumerate(device.answers[: device_input.MAX_ANSWERS]):
        q = found.run(v.text, question, ["input", "conditionAnswers", str(i), "question"], required=True)
        a = found.run(v.text, answer, ["input", "conditionAnswers", str(i), "answer"], limit=200, required=True)
        answers.append((q or "", a or ""))
    found.raise_any()
    cleaned = replace(device, brand=brand or "", model=model or "", storage=storage, answers=answers)
    return organization, await quote_device(organization, cleaned)


@dataclass(frozen=True)
class QuestionIn:
    key: str
    label: str
    options: Sequence[str]


async def update_trade_in_page(
    caller: Caller,
    questions: Sequence[QuestionIn] | None,
    show_instant_offers: bool | None,
) -> Organization:
    """Staff (OWNER, MANAGER): the condition questionnaire and whether customers see instant
    offers. None leaves a setting as it is."""
    caller.require_staff(BRANDING_ROLES)
    found = device_input.Collector()
    cleaned = None
    if questions is not None:
        cleaned = clean_questions(questions, found)
    found.raise_any()
    organization = await Organization.get(id=caller.organization_id)
    if cleaned is not None:
        organization.condition_questions = cleaned
    if show_instant_offers is not None:
        organization.show_instant_offers = show_instant_offers
    await organization.save(update_fields=["condition_questions", "show_instant_offers"])
    return organization


def clean_questions(questions: Sequence[QuestionIn], found: device_input.Collector) -> list[dict[str, object]]:
    path = ["input", "conditionQuestions"]
    if len(questions) > MAX_QUESTIONS:
        found.errors.append(DomainError(ErrorCode.INVALID_INPUT, f"at most {MAX_QUESTIONS} questions", path))
        return []
    cleaned: list[dict[str, object]] = []
    keys: set[str] = set()
    for i, question in enumerate(questions):
        at = [*path, str(i)]
        key = question.key.strip().lower()
        if not KEY.match(key):
            found.errors.append(
                DomainError(ErrorCode.INVALID_INPUT, "a key is lowercase letters, digits and _", [*at, "key"])
            )
        elif key in keys:
            found.errors.append(DomainError(ErrorCode.INVALID_INPUT, "this key is used twice", [*at, "key"]))
        keys.add(key)
        label = found.run(v.text, question.label, [*at, "label"], required=True)
        options = []
        if not question.options or len(question.options) > MAX_OPTIONS:
            found.errors.append(
                DomainError(ErrorCode.INVALID_INPUT, f"between 1 and {MAX_OPTIONS} options", [*at, "options"])
            )
        for j, option in enumerate(question.options[:MAX_OPTIONS]):
            text = found.run(v.text, option, [*at, "options", str(j)], limit=200, required=True)
            if text is not None:
                options.append(text)
        cleaned.append({"key": key, "label": label or "", "options": options})
    return cleaned


def described(
    brand: str,
    model: str,
    storage: str | None,
    condition: DeviceCondition,
    carrier_lock: CarrierLock | None,
    answers: Sequence[tuple[str, str]],
) -> Described:
    return Described(brand, model, storage, condition, carrier_lock, tuple(answers))
