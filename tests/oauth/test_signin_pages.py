"""The sign-in and consent pages: plain accessible forms, CSRF (signed double submit), the signed request,
sign-in failures and their throttle, tenants, and Allow / Deny."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import update

from tally.db import Database
from tally.oauth.models import OAuthClient
from tally.users.service import create_user
from tests.oauth.flow_helpers import (
    PASSWORD,
    Setup,
    authorize_params,
    browser,
    deactivate_user,
    hidden,
    new_setup,
    open_sign_in,
    pkce_pair,
    post_consent,
    post_sign_in,
    redirect_base,
    redirect_query,
)
from tests.support import unique


async def sign_in_page(client: httpx.AsyncClient, setup: Setup, **overrides: str | None) -> httpx.Response:
    _verifier, challenge = pkce_pair()
    return await open_sign_in(client, authorize_params(setup, challenge, **overrides))


def error_text(response: httpx.Response) -> str:
    match = re.search(r'<p class="alert">(.*?)</p>', response.text, re.S)
    assert match, response.text
    return match.group(1)


async def test_the_sign_in_page_is_a_plain_accessible_form(db: Database) -> None:
    setup = await new_setup(db)
    async with browser(db) as client:
        page = await sign_in_page(client, setup)

    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<script" not in html
    for field, autocomplete in [
        ("subdomain", "organization"),
        ("email", "username"),
        ("password", "current-password"),
    ]:
        assert f'<label for="{field}">' in html
        assert re.search(rf'id="{field}" name="{field}"[^>]*autocomplete="{autocomplete}"', html, re.S), field
    assert 'role="alert"' in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "form-action 'self' https://app.example" in page.headers["Content-Security-Policy"]
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("tally_csrf=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/oauth/authorize" in cookie


async def test_names_on_the_pages_are_escaped(db: Database) -> None:
    setup = await new_setup(db)
    async with db.write() as session:
        await session.execute(
            update(OAuthClient)
            .where(OAuthClient.client_id == setup.client_id)
            .values(name="<script>alert(1)</script>")
        )
    async with browser(db) as client:
        page = await sign_in_page(client, setup)
        consent = await post_sign_in(client, page, setup.subdomain, setup.email)
    for response in (page, consent):
        assert "<script>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


async def test_the_consent_page_lists_the_scopes_to_grant(db: Database) -> None:
    setup = await new_setup(db)
    async with browser(db) as client:
        page = await sign_in_page(client, setup, scope="inventory:read stock_checks:count")
        consent = await post_sign_in(client, page, setup.subdomain.upper(), setup.email.upper())
    assert consent.status_code == 200, consent.text
    assert "See master data and stock" in consent.text and "<code>inventory:read</code>" in consent.text
    assert "<code>stock_checks:count</code>" in consent.text
    assert "stock_checks:manage" not in consent.text
    assert setup.email in consent.text
    assert (
        'name="decision" value="approve"' in consent.text and 'name="decision" value="deny"' in consent.text
    )


async def test_deny_redirects_access_denied_with_the_state(db: Database) -> None:
    setup = await new_setup(db)
    async with browser(db) as client:
        page = await sign_in_page(client, setup, state="keep me")
        consent = await post_sign_in(client, page, setup.subdomain, setup.email)
        response = await post_consent(client, consent, "deny")
    assert response.status_code == 303
    assert redirect_base(response) == setup.redirect_uri
    query = redirect_query(response)
    assert query["error"] == "access_denied" and query["state"] == "keep me"
    assert "code" not in query


async def test_a_role_holding_none_of_the_scopes_is_sent_back_denied(db: Database) -> None:
    setup = await new_setup(db, role="rf", client_scopes="inventory:read inventory:write")
    async with browser(db) as client:
        page = await sign_in_page(client, setup, scope="inventory:read")
        response = await post_sign_in(client, page, setup.subdomain, setup.email)
    assert response.status_code == 303
    assert redirect_query(response)["error"] == "access_denied"


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "inactive user", "no password"])
async def test_a_failed_sign_in_shows_the_form_again(db: Database, case: str) -> None:
    setup = await new_setup(db)
    email, password = setup.email, PASSWORD
    if case == "wrong password":
        password = "not the password"
    elif case == "unknown email":
        email = "nobody@example.com"
    elif case == "inactive user":
        await deactivate_user(db, setup)
    else:
        password = ""
    async with browser(db) as client:
        page = await sign_in_page(client, setup)
        response = await post_sign_in(client, page, setup.subdomain, email, password)

    assert response.status_code == 400
    assert "not right" in error_text(response) or "Enter your" in error_text(response)
    assert f'value="{email}"' in response.text
    assert PASSWORD not in response.text
    assert 'name="consent"' not in response.text


async def test_a_user_of_another_tenant_cannot_sign_in_to_this_tenants_client(db: Database) -> None:
    setup = await new_setup(db)  # the client belongs to tenant B
    other = await new_setup(db)  # a user of tenant A
    async with browser(db) as client:
        page = await sign_in_page(client, setup)
        as_a = await post_sign_in(client, page, other.subdomain, other.email)
        as_b = await post_sign_in(client, page, setup.subdomain, other.email)
    assert as_a.status_code == 400 and "does not belong to the organisation" in error_text(as_a)
    assert as_b.status_code == 400 and "not right" in error_text(as_b)
    for response in (as_a, as_b):
        assert 'name="consent"' not in response.text


# CSRF and the signed request


async def test_sign_in_without_the_csrf_cookie_is_refused(db: Database) -> None:
    setup = await new_setup(db)
    async with browser(db) as client:
        page = await sign_in_page(client, setup)
    async with browser(db) as attacker:  # another browser: the form's fields, but no cookie
        response = await post_sign_in(attacker, page, setup.subdomain, setup.email)
    assert response.status_code == 403
    assert "security check failed" in response.text


async def test_a_csrf_field_not_matching_the_cookie_is_refused(db: Database) -> None:
    setup = await new_setup(db)
    async with browser(db) as victim, browser(db) as attacker:
        page = await sign_in_page(victim, setup)
        attackers_page = await sign_in_page(attacker, setup)
        forged = await post_sign_in(
            victim, page, setup.subdomain, setup.email, csrf_token=hidden(attackers_page.text, "csrf_token")
        )
        unsigned = await post_sign_in(
            victim, page, setup.subdomain, setup.email, csrf_token=victim.cookies["tally_csrf"] + ".x"
        )
    assert forged.status_code == 403
    assert unsigned.status_code == 403


async def test_an_altered_request_is_refused(db: Database) -> None:
    setup = await new_setup(db)
    async with browser(db) as client:
        page = await sign_in_page(client, setup)
        token = hidden(page.text, "request")
        body, mac = token.split(".")
        tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB")
        altered = await post_sign_in(client, page, setup.subdomain, setup.email, request=f"{tampered}.{mac}")
    assert altered.status_code == 400
    assert 'name="consent"' not in altered.text


async def test_consent_from_another_browser_is_refused(db: Database) -> None:
    setup = await new_setup(db)
    async with browser(db) as victim, browser(db) as attacker:
        page = await sign_in_page(victim, setup)
        consent = await post_sign_in(victim, page, setup.subdomain, setup.email)
        attackers_page = await sign_in_page(attacker, setup)  # a CSRF cookie and field of its own
        with_victims_field = await post_consent(attacker, consent)
        with_own_field = await post_consent(
            attacker, consent, csrf_token=hidden(attackers_page.text, "csrf_token")
        )
        # The signed sign-in is bound to the victim's CSRF cookie: even the attacker's own valid pair fails.
        assert with_victims_field.status_code == 403
        assert with_own_field.status_code == 403
        # The victim's own consent still works.
        allowed = await post_consent(victim, consent)
    assert allowed.status_code == 303 and "code" in redirect_query(allowed)


async def test_the_sign_in_request_cannot_be_posted_as_consent(db: Database) -> None:
    setup = await new_setup(db)
    async with browser(db) as client:
        page = await sign_in_page(client, setup)
        response = await client.post(
            "/oauth/authorize/consent",
            data={
                "consent": hidden(page.text, "request"),
                "csrf_token": hidden(page.text, "csrf_token"),
                "decision": "approve",
            },
        )
    assert response.status_code == 400
    assert "location" not in response.headers


# Throttle


async def test_five_failures_lock_the_account_for_fifteen_minutes(db: Database) -> None:
    setup = await new_setup(db)
    for _ in range(5):
        async with browser(db) as client:  # each from another address: the account is what is counted
            page = await sign_in_page(client, setup)
            failed = await post_sign_in(client, page, setup.subdomain, setup.email, "wrong password")
            assert failed.status_code == 400

    async with browser(db) as client:
        page = await sign_in_page(client, setup)
        locked = await post_sign_in(client, page, setup.subdomain, setup.email.upper())

    assert locked.status_code == 429
    message = error_text(locked)
    assert message.startswith("Too many sign-in attempts")
    assert "try again in 15 minutes" in message
    assert 'name="consent"' not in locked.text


async def test_a_success_clears_the_accounts_failures(db: Database) -> None:
    setup = await new_setup(db)
    async with browser(db) as client:
        page = await sign_in_page(client, setup)
        for _ in range(4):
            assert (
                await post_sign_in(client, page, setup.subdomain, setup.email, "wrong")
            ).status_code == 400
        assert (await post_sign_in(client, page, setup.subdomain, setup.email)).status_code == 200
        for _ in range(4):
            assert (
                await post_sign_in(client, page, setup.subdomain, setup.email, "wrong")
            ).status_code == 400
        assert (await post_sign_in(client, page, setup.subdomain, setup.email)).status_code == 200


async def test_twenty_failures_from_one_address_lock_that_address(db: Database) -> None:
    setup = await new_setup(db)
    address = "198.51.100." + str(int(unique("")[-4:], 16) % 250 + 1)
    emails = [f"{unique('x')}@example.com" for _ in range(20)]
    async with browser(db, address) as client:
        page = await sign_in_page(client, setup)
        for email in emails:
            assert (
                await post_sign_in(client, page, setup.subdomain, email, "guess-guess")
            ).status_code == 400
        locked = await post_sign_in(client, page, setup.subdomain, setup.email)
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in error_text(locked)

    async with browser(db) as elsewhere:  # the account itself is fine from another address
        page = await sign_in_page(elsewhere, setup)
        assert (await post_sign_in(elsewhere, page, setup.subdomain, setup.email)).status_code == 200


async def test_accounts_are_counted_per_tenant(db: Database) -> None:
    setup = await new_setup(db)
    twin = await new_setup(db)
    await create_user(db, twin.subdomain, setup.email, "Twin", "standard", PASSWORD)
    twin_setup = Setup(**{**twin.__dict__, "email": setup.email})
    for _ in range(5):
        async with browser(db) as client:
            page = await sign_in_page(client, setup)
            await post_sign_in(client, page, setup.subdomain, setup.email, "wrong password")
    async with browser(db) as client:
        page = await sign_in_page(client, twin_setup)
        assert (await post_sign_in(client, page, twin.subdomain, setup.email)).status_code == 200
