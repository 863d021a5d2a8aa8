"""Tokens acting as a user: checked with the user and the client in the one statement that finds the token,
carrying the user's role and account, and refused once the user or the client is deactivated."""

from __future__ import annotations

from sqlalchemy import select, update

from tally.db import Database
from tally.oauth.models import OAuthClient
from tally.oauth.rules import DEFAULT_SCOPES
from tally.oauth.service import principal_for_token
from tally.users.models import User
from tests.graphql.helpers import counting_statements
from tests.support import Api, new_site
from tests.users.helpers import as_role


async def test_a_user_token_costs_one_lookup_like_any_token(api: Api, db: Database) -> None:
    site = await new_site(api)
    user = await as_role(api, "client", site.account_id)
    for token in (api, user):
        with counting_statements(db) as statements:
            response = await token.get(f"/api/accounts/{site.account_id}")
        assert response.status_code == 200, response.text
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        lookups = [s for s in selects if "oauth_tokens" in s]
        assert len(selects) == 2, selects  # the token, then the account
        assert len(lookups) == 1
        assert "users" in lookups[0] and "oauth_clients" in lookups[0]


async def test_the_principal_carries_the_user_its_role_and_account(api: Api, db: Database) -> None:
    site = await new_site(api)
    user = await as_role(api, "client", site.account_id)
    async with db.read() as session:
        user_id = await session.scalar(select(User.id).where(User.tenant_id == api.tenant_id))

    principal = await principal_for_token(db, api.subdomain, user.token)
    plain = await principal_for_token(db, api.subdomain, api.token)

    assert (principal.user_id, principal.role, principal.account_id) == (user_id, "client", site.account_id)
    assert principal.scopes == frozenset({"inventory:read"})  # the client role's share of the four
    assert principal.visible_account == site.account_id
    assert (plain.user_id, plain.role, plain.account_id, plain.visible_account) == (None, None, None, None)
    assert plain.scopes == frozenset(DEFAULT_SCOPES)


async def test_tokens_of_a_deactivated_client_answer_401(api: Api, db: Database) -> None:
    user = await as_role(api, "standard")
    async with db.write() as session:
        await session.execute(
            update(OAuthClient)
            .where(OAuthClient.tenant_id == api.tenant_id, OAuthClient.client_id == api.client_id)
            .values(is_active=False)
        )

    for token in (api, user):
        response = await token.get("/api/warehouses/999999999")
        assert response.status_code == 401, response.text


async def test_a_client_user_without_an_account_sees_nothing(api: Api, db: Database) -> None:
    # Impossible through the API; if the row is ever broken, the caller fails closed.
    site = await new_site(api)
    user = await as_role(api, "client", site.account_id)
    async with db.write() as session:
        await session.execute(
            update(User).where(User.tenant_id == api.tenant_id).values(account_id=None, role="client")
        )

    assert (await user.get(f"/api/accounts/{site.account_id}")).status_code == 404
