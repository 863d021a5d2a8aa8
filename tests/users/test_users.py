"""Users: passwords are write-only Argon2 hashes, logins are case-insensitive, client-role users belong to
one account, and tokens acting as a user follow the user's role and status at every request."""

from __future__ import annotations

from sqlalchemy import delete, select

from tally.db import Database
from tally.oauth.rules import ADMIN, DEFAULT_SCOPES
from tally.users.models import User
from tally.users.service import user_by_password
from tests.support import Api, unique
from tests.users.helpers import WAREHOUSE_PROBE, acting_as, email, envelope, new_user

EVERYTHING = (*DEFAULT_SCOPES, ADMIN)


async def stored_user(db: Database, tenant_id: int, user_id: int) -> User:
    async with db.read() as session:
        user = await session.get(User, (tenant_id, user_id))
    assert user is not None
    return user


async def test_the_password_is_stored_as_an_argon2_hash_and_never_returned(admin: Api, db: Database) -> None:
    user = await new_user(admin, password="correct horse")

    stored = await stored_user(db, admin.tenant_id, user["id"])
    read = await admin.get(f"/api/users/{user['id']}")

    assert stored.password_hash is not None and stored.password_hash.startswith("$argon2id$")
    assert "correct horse" not in stored.password_hash
    for document in (user, read.json()["data"]):
        assert "password" not in document["attributes"] and "password_hash" not in document["attributes"]
        assert "correct horse" not in str(document)
    email_ = user["attributes"]["email"]
    assert await user_by_password(db, admin.subdomain, email_, "correct horse") is not None
    assert await user_by_password(db, admin.subdomain, email_, "wrong horse") is None


async def test_a_user_without_a_password_cannot_sign_in(admin: Api, db: Database) -> None:
    user = await new_user(admin)
    assert (await stored_user(db, admin.tenant_id, user["id"])).password_hash is None
    assert await user_by_password(db, admin.subdomain, user["attributes"]["email"], "") is None


async def test_patch_sets_and_removes_the_password(admin: Api, db: Database) -> None:
    user = await new_user(admin, password="first password")
    path, login = f"/api/users/{user['id']}", user["attributes"]["email"]

    changed = await admin.patch(path, envelope("users", {"password": "second password"}))
    assert changed.status_code == 200, changed.text
    assert "password" not in changed.json()["data"]["attributes"]
    assert await user_by_password(db, admin.subdomain, login, "first password") is None
    assert await user_by_password(db, admin.subdomain, login, "second password") is not None

    removed = await admin.patch(path, envelope("users", {"password": None}))
    assert removed.status_code == 200, removed.text
    assert (await stored_user(db, admin.tenant_id, user["id"])).password_hash is None


async def test_emails_are_logins_stored_lower_case_and_unique_regardless_of_case(admin: Api) -> None:
    login = f"{unique('Pat')}@Example.COM"
    user = await new_user(admin, email=f"  {login} ")
    assert user["attributes"]["email"] == login.lower()

    again = await admin.post(
        "/api/users", envelope("users", {"email": login.upper(), "name": "Pat", "role": "rf"})
    )

    assert again.status_code == 422, again.text
    assert again.json()["errors"][0]["code"] == "taken"


async def test_an_email_may_change_but_not_to_one_taken(admin: Api) -> None:
    first, second = await new_user(admin), await new_user(admin)
    path = f"/api/users/{second['id']}"

    taken = await admin.patch(path, envelope("users", {"email": first["attributes"]["email"].upper()}))
    own = await admin.patch(path, envelope("users", {"email": second["attributes"]["email"]}))
    fresh = await admin.patch(path, envelope("users", {"email": email().upper()}))

    assert taken.status_code == 422 and taken.json()["errors"][0]["code"] == "taken", taken.text
    assert own.status_code == 200, own.text
    assert fresh.status_code == 200 and fresh.json()["data"]["attributes"]["email"].islower(), fresh.text


async def test_the_same_email_may_sign_in_to_two_tenants(admin: Api, other_admin: Api) -> None:
    login = email()
    assert (await new_user(admin, email=login))["attributes"]["email"] == login
    assert (await new_user(other_admin, email=login))["attributes"]["email"] == login


async def test_client_users_belong_to_an_account_of_the_tenant(admin: Api, other_admin: Api) -> None:
    mine = await admin.create("accounts", code=unique("A"), name="Acme")
    theirs = await other_admin.create("accounts", code=unique("A"), name="Beta")

    refused = await admin.post(
        "/api/users",
        envelope("users", {"email": email(), "name": "C", "role": "client", "account_id": theirs["id"]}),
    )
    user = await new_user(admin, role="client", account_id=mine["id"])

    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["source"]["pointer"] == "/data/attributes/account_id"
    assert user["attributes"]["account_id"] == mine["id"]


async def test_a_role_change_away_from_client_must_drop_the_account(admin: Api) -> None:
    account = await admin.create("accounts", code=unique("A"), name="Acme")
    user = await new_user(admin, role="client", account_id=account["id"])
    path = f"/api/users/{user['id']}"

    kept = await admin.patch(path, envelope("users", {"role": "standard"}))
    dropped = await admin.patch(path, envelope("users", {"role": "standard", "account_id": None}))
    back = await admin.patch(path, envelope("users", {"role": "client", "account_id": account["id"]}))

    assert kept.status_code == 422, kept.text
    assert dropped.status_code == 200, dropped.text
    assert dropped.json()["data"]["attributes"]["account_id"] is None
    assert back.status_code == 200 and back.json()["data"]["attributes"]["account_id"] == account["id"]


# Tokens acting as users ----------------------------------------------------------------------------------


async def test_a_user_token_holds_only_what_its_role_allows(admin: Api) -> None:
    rf = await acting_as(admin, (await new_user(admin, role="rf"))["id"], EVERYTHING)

    # rf users count; they neither read inventory nor administer, whatever the token says.
    assert (await rf.get(WAREHOUSE_PROBE)).status_code == 403
    assert (await rf.get("/api/users")).status_code == 403
    counted = await rf.post("/api/stock_checks/999999999/record_attempt", {"data": {"attributes": {}}})
    assert counted.status_code not in (401, 403), counted.text


async def test_a_role_change_applies_to_tokens_already_issued(admin: Api) -> None:
    user = await new_user(admin, role="rf")
    token = await acting_as(admin, user["id"], EVERYTHING)
    assert (await token.get(WAREHOUSE_PROBE)).status_code == 403

    promoted = await admin.patch(f"/api/users/{user['id']}", envelope("users", {"role": "standard"}))
    assert promoted.status_code == 200, promoted.text
    assert (await token.get(WAREHOUSE_PROBE)).status_code == 404  # may read now
    assert (await token.get("/api/users")).status_code == 403  # not admin

    await admin.patch(f"/api/users/{user['id']}", envelope("users", {"role": "admin"}))
    assert (await token.get("/api/users")).status_code == 200


async def test_a_user_token_never_exceeds_its_own_scopes(admin: Api) -> None:
    boss = await acting_as(admin, (await new_user(admin, role="admin"))["id"], ("inventory:read",))
    assert (await boss.get(WAREHOUSE_PROBE)).status_code == 404
    assert (await boss.get("/api/users")).status_code == 403
    created = await boss.post("/api/warehouses", envelope("warehouses", {"code": unique("W"), "name": "W"}))
    assert created.status_code == 403


async def test_an_admin_user_token_administers_users(admin: Api) -> None:
    boss = await acting_as(admin, (await new_user(admin, role="admin"))["id"], EVERYTHING)
    made = await boss.post("/api/users", envelope("users", {"email": email(), "name": "New", "role": "rf"}))
    assert made.status_code == 201, made.text


async def test_tokens_of_an_inactive_user_answer_401_until_reactivated(admin: Api) -> None:
    user = await new_user(admin)
    token = await acting_as(admin, user["id"])
    assert (await token.get(WAREHOUSE_PROBE)).status_code == 404

    await admin.patch(f"/api/users/{user['id']}", envelope("users", {"is_active": False}))
    refused = await token.get(WAREHOUSE_PROBE)
    graphql = await token.graphql("{ warehouses { all { totalCount } } }")

    assert refused.status_code == 401, refused.text
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert graphql.status_code == 401, graphql.text
    await admin.patch(f"/api/users/{user['id']}", envelope("users", {"is_active": True}))
    assert (await token.get(WAREHOUSE_PROBE)).status_code == 404


async def test_a_user_created_inactive_cannot_use_tokens(admin: Api) -> None:
    token = await acting_as(admin, (await new_user(admin, is_active=False))["id"])
    assert (await token.get(WAREHOUSE_PROBE)).status_code == 401


async def test_tokens_of_a_deleted_user_answer_401(admin: Api, db: Database) -> None:
    user = await new_user(admin)
    token = await acting_as(admin, user["id"])
    async with db.write() as session:
        await session.execute(delete(User).where(User.tenant_id == admin.tenant_id, User.id == user["id"]))

    assert (await token.get(WAREHOUSE_PROBE)).status_code == 401


async def test_a_token_naming_another_tenants_user_answers_401(admin: Api, other_admin: Api) -> None:
    # No endpoint can issue it; the lookup still joins users within the token's tenant only.
    theirs = await new_user(other_admin, role="admin")
    token = await acting_as(admin, theirs["id"])
    assert (await token.get(WAREHOUSE_PROBE)).status_code == 401


async def test_client_credentials_tokens_keep_every_scope_they_hold(admin: Api, db: Database) -> None:
    # No user, no role: the token's scopes (within its client's) are what it may do.
    assert (await admin.get(WAREHOUSE_PROBE)).status_code == 404
    assert (await admin.get("/api/users")).status_code == 200
    async with db.read() as session:
        assert await session.scalar(select(User.id).where(User.tenant_id == admin.tenant_id)) is None
