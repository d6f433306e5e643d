"""One place that turns domain failures into GraphQL: userErrors for expected problems,
coded GraphQL errors for authentication and permission."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from models.errors import DomainError, DomainErrors, ErrorCode, Forbidden, Unauthenticated

T = TypeVar("T")

UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode")


@strawberry.type(description="A problem with the input or with the quote's state. The mutation changed nothing.")
class UserError:
    code: UserErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "devices", "2", "imeis", "0"].'
    )


def unauthenticated(message: str = "Authentication required.", reason: str | None = None) -> GraphQLError:
    """`reason` (e.g. LINK_REVOKED) tells a client why its token was refused."""
    extensions = {"code": "UNAUTHENTICATED"} if reason is None else {"code": "UNAUTHENTICATED", "reason": reason}
    return GraphQLError(message, extensions=extensions)


def forbidden(message: str = "Not allowed.") -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def bad_user_input(message: str) -> GraphQLError:
    """An argument the client sent that cannot be served (not a business refusal)."""
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def user_errors(error: DomainError | DomainErrors) -> list[UserError]:
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    return [UserError(code=e.code, message=e.message, field=e.field) for e in errors]


async def attempt(action: Awaitable[T]) -> T | list[UserError]:
    """Run a use case: its result, or its userErrors; auth failures become coded errors."""
    try:
        return await action
    except (DomainError, DomainErrors) as error:
        return user_errors(error)
    except Unauthenticated as error:
        raise unauthenticated(str(error)) from None
    except Forbidden as error:
        raise forbidden(str(error)) from None


def not_found(path: list[str]) -> list[UserError]:
    return [UserError(code=ErrorCode.NOT_FOUND, message="not found", field=path)]
