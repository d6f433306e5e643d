"""Staff sign-in without passwords: a one-time code by email, traded for an expiring session
token. Codes are short-lived, burn after a few wrong attempts, are stored as keyed hashes, and
requests are throttled per address. The answer, and the work done, are the same whether or not
the email belongs to staff."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from models import validation as v
from models.audit import AuditAction
from models.errors import DomainError, DomainErrors, ErrorCode
from models.organization import AccessToken, StaffMember, TokenKind, TokenPurpose
from models.outbox import enqueue_email
from models.services import audit
from models.services.audit import Admin
from models.services.caller import Deps
from models.services.tokens import create_token
from models.team import SignInCode

SIGN_IN = "SIGN_IN"
INVITATION = "INVITATION"
CODE_TTL = timedelta(minutes=10)
INVITATION_TTL = timedelta(days=7)
MAX_ATTEMPTS = 5
"At most this many codes per organization and email in THROTTLE_WINDOW."
MAX_REQUESTS = 5
THROTTLE_WINDOW = timedelta(minutes=15)
"A session lasts this long after its last use, and never longer than SESSION_MAX_AGE."
SESSION_IDLE = timedelta(hours=12)
SESSION_MAX_AGE = timedelta(days=30)
# A code request is answered no sooner than this, whatever it did: emailing a member (one more
# row in the outbox) must not take measurably longer than turning a stranger away.
ANSWER_FLOOR_SECONDS = 0.2
CODE = re.compile(r"^[0-9]{6}$")
SLUG = re.compile(r"^[a-z0-9-]{1,64}$")
WRONG_CODE = "this code is wrong, used or expired: ask for a new one"


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_hash(secret_key: str, slug: str, email: str, code: str) -> str:
    message = f"staff-sign-in:{slug}:{email}:{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def clean_address(slug: str, email: str) -> tuple[str, str]:
    """The organization slug and the email as codes are keyed: lowercase, well-formed."""
    errors = []
    clean_slug = slug.strip().lower()
    if not SLUG.match(clean_slug):
        errors.append(DomainError(ErrorCode.INVALID_INPUT, "not an organization slug", ["input", "organizationSlug"]))
    try:
        clean_email = v.email(email, ["input", "email"]).lower()
    except DomainError as error:
        errors.append(error)
        clean_email = ""
    if errors:
        raise DomainErrors(errors)
    return clean_slug, clean_email


async def issue_code(
    deps: Deps,
    staff: StaffMember | None,
    slug: str,
    email: str,
    purpose: str,
    now: datetime,
) -> str:
    """Store a new code's hash (inside the caller's transaction) and return the code."""
    code = new_code()
    await SignInCode.create(
        organization_slug=slug,
        email=email,
        staff_id=staff.id if staff else None,
        code_hash=code_hash(deps.secret_key, slug, email, code),
        purpose=purpose,
        created_at=now,
        expires_at=now + (INVITATION_TTL if purpose == INVITATION else CODE_TTL),
    )
    return code


async def request_sign_in(deps: Deps, slug: str, email: str, now: datetime) -> None:
    """Email a sign-in code if `email` is active staff of `slug`; the same outcome otherwise,
    in the same time."""
    slug, email = clean_address(slug, email)
    started = time.monotonic()
    try:
        await _issue_sign_in_code(deps, slug, email, now)
    finally:
        await asyncio.sleep(max(0.0, ANSWER_FLOOR_SECONDS - (time.monotonic() - started)))


async def _issue_sign_in_code(deps: Deps, slug: str, email: str, now: datetime) -> None:
    async with in_transaction():
        recent = await SignInCode.filter(
            organization_slug=slug, email=email, purpose=SIGN_IN, created_at__gte=now - THROTTLE_WINDOW
        ).count()
        if recent >= MAX_REQUESTS:
            raise DomainError(
                ErrorCode.LIMIT_EXCEEDED,
                "too many codes asked for this address: wait a few minutes",
                ["input", "email"],
            )
        staff = await StaffMember.filter(
            organization__slug=slug, email__iexact=email, active=True
        ).first()
        code = await issue_code(deps, staff, slug, email, SIGN_IN, now)
        if staff is not None:
            await enqueue_email(
                template="staff_sign_in_code",
                to_address=staff.email,
                to_name=staff.name,
                organization_id=staff.organization_id,
                context={
                    "code": code,
                    "expires_minutes": int(CODE_TTL.total_seconds() // 60),
                    "staff_name": staff.name,
                },
                now=now,
            )


@dataclass(frozen=True)
class Session:
    token: str
    expires_at: datetime
    staff: StaffMember


def session_expiry(created_at: datetime, now: datetime) -> datetime:
    return min(now + SESSION_IDLE, created_at + SESSION_MAX_AGE)


async def sign_in(
    deps: Deps, slug: str, email: str, code: str, now: datetime, admin_hash: str | None = None,
    user_agent: str | None = None,
) -> Session:
    """Trade a live code for a session token. A wrong code counts an attempt on every live
    code of the address; the fifth burns them."""
    slug, email = clean_address(slug, email)
    if not CODE.match(code.strip()):
        raise DomainError(ErrorCode.INVALID_INPUT, "a code is 6 digits", ["input", "code"])
    expected = code_hash(deps.secret_key, slug, email, code.strip())
    session: Session | None = None
    async with in_transaction():
        live = await SignInCode.filter(
            organization_slug=slug,
            email=email,
            used_at=None,
            expires_at__gt=now,
            attempts__lt=MAX_ATTEMPTS,
        ).select_for_update()
        match = next((row for row in live if hmac.compare_digest(row.code_hash, expected)), None)
        staff = None
        if match is not None and match.staff_id is not None:
            staff = await StaffMember.filter(
                id=match.staff_id, active=True, organization__slug=slug
            ).first()
        if staff is None:
            for row in live:
                row.attempts += 1
                await row.save(update_fields=["attempts"])
        else:
            await SignInCode.filter(id__in=[row.id for row in live]).update(used_at=now)
            staff.invitation_pending = False
            staff.last_active_at = now
            await staff.save(update_fields=["invitation_pending", "last_active_at"])
            expires = session_expiry(now, now)
            token, _ = await create_token(
                TokenKind.STAFF,
                staff.organization_id,
                staff_id=staff.id,
                label="sign-in session",
                purpose=TokenPurpose.SESSION,
                expires_at=expires,
            )
            admin = Admin(
                organization_id=staff.organization_id, role=staff.role, name=staff.name,
                staff_id=staff.id, client_hash=admin_hash, user_agent=user_agent,
            )  # fmt: skip
            await audit.record(
                admin, AuditAction.STAFF_SIGNED_IN, "StaffMember", staff.id, staff.email,
                before=None, after={"via": match.purpose if match else SIGN_IN}, now=now,
            )  # fmt: skip
            session = Session(token=token, expires_at=expires, staff=staff)
    if session is None:
        raise DomainError(ErrorCode.INVALID_INPUT, WRONG_CODE, ["input", "code"])
    return session


async def revoke_tokens_of(staff_id: int, now: datetime) -> list[int]:
    """Every token of a member stops at once, on every replica: they are checked per request.
    The ids of the tokens revoked, for `announce_revoked` after commit."""
    await SignInCode.filter(staff_id=staff_id, used_at=None).update(used_at=now)
    rows = await AccessToken.filter(staff_id=staff_id, revoked_at=None).values("id")
    ids = [int(row["id"]) for row in rows]
    await AccessToken.filter(id__in=ids).update(revoked_at=now)
    return ids
