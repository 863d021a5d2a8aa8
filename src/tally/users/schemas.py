"""The wire shape of users: request bodies and response attributes. Passwords are write-only."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from tally.http.fields import Flag, Id, Schema, Text150
from tally.users import passwords, rules
from tally.users.models import User

Role = Literal["admin", "standard", "client", "rf"]

# Argon2 takes any length, but hashing megabytes per request would be a cheap denial of service.
MAX_PASSWORD_LENGTH = 1024


def _email(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    email = rules.normal_email(value)
    if not rules.valid_email(email):
        raise ValueError(f"must be an email address of at most {rules.MAX_EMAIL_LENGTH} characters")
    return email


def _password(value: str) -> str:
    if len(value) < passwords.MIN_LENGTH:
        raise ValueError(f"must have at least {passwords.MIN_LENGTH} characters")
    return value


Email = Annotated[str, BeforeValidator(_email)]
Password = Annotated[str, Field(strict=True, max_length=MAX_PASSWORD_LENGTH), AfterValidator(_password)]


class UserCreate(Schema):
    email: Email
    name: Text150
    role: Role
    account_id: Id | None = None
    is_active: Flag = True
    password: Password | None = None


class UserUpdate(Schema):
    email: Email | None = None
    name: Text150 | None = None
    role: Role | None = None
    account_id: Id | None = None
    is_active: Flag | None = None
    # null removes the password: the user can no longer sign in with one.
    password: Password | None = None


def user_attributes(u: User) -> dict[str, Any]:
    return {
        "email": u.email,
        "name": u.name,
        "role": u.role,
        "account_id": u.account_id,
        "is_active": u.is_active,
        "created_at": u.created_at,
        "updated_at": u.updated_at,
    }
