"""A person on a phone signs in and allows a registered application, in a real browser (Debian's Chromium
driven by Playwright) against a real `tally serve`; the application then exchanges the code for a token.

Without /usr/bin/chromium the test is skipped, unless TALLY_REQUIRE_BROWSER=1 (CI), which makes it fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tally.db import Database
from tests.conftest import LiveServer
from tests.oauth.flow_helpers import PASSWORD, new_setup, pkce_pair

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_BROWSER = os.environ.get("TALLY_REQUIRE_BROWSER", "") not in ("", "0", "false")


def _browser_or_skip() -> None:
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed (pip install -e '.[dev]')"
    if problem:
        if REQUIRE_BROWSER:
            pytest.fail(f"TALLY_REQUIRE_BROWSER is set but {problem}.")
        pytest.skip(f"Browser test skipped: {problem}.")


@contextmanager
def callback_listener() -> Iterator[tuple[str, list[str]]]:
    """The application's redirect URI: a local HTTP listener recording the paths it is sent to."""
    arrived: list[str] = []

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/callback"):  # not the browser's /favicon.ico
                arrived.append(self.path)
            body = b"<!doctype html><title>Signed in</title><p>Signed in.</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/callback", arrived
    finally:
        server.shutdown()
        server.server_close()


async def test_a_person_signs_in_on_a_phone_and_the_application_gets_a_token(
    live_server: LiveServer, db: Database, tmp_path: Path
) -> None:
    _browser_or_skip()
    from playwright.async_api import async_playwright

    with callback_listener() as (callback, arrived):
        setup = await new_setup(db, redirect_uris=callback, role="standard")
        verifier, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": setup.client_id,
            "redirect_uri": callback,
            "scope": "inventory:read stock_checks:count",
            "state": "phone-42",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        authorize_url = str(httpx.URL(f"{live_server.base_url}/oauth/authorize", params=params))

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(
                    viewport={"width": 390, "height": 844},
                    device_scale_factor=2,
                    is_mobile=True,
                    has_touch=True,
                )
                page = await context.new_page()

                await page.goto(authorize_url)
                assert await page.title() == "Sign in · Tally"
                # Laid out for the phone: nothing wider than the screen.
                assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                await page.get_by_label("Organisation (your Tally subdomain)").fill(setup.subdomain)
                await page.get_by_label("Email").fill(setup.email)
                await page.get_by_label("Password").fill("not the password")
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_load_state()
                assert "not right" in await page.get_by_role("alert").inner_text()

                await page.get_by_label("Password").fill(PASSWORD)
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_load_state()
                assert await page.title() == "Allow access · Tally"
                scopes = await page.get_by_role("list").inner_text()
                assert "inventory:read" in scopes and "stock_checks:count" in scopes
                await page.screenshot(path=str(tmp_path / "consent.png"), full_page=True)

                await page.get_by_role("button", name="Allow").click()
                await page.wait_for_url(f"{callback}?**")
                assert await page.title() == "Signed in"
            finally:
                await browser.close()

    assert len(arrived) == 1, arrived
    query = {key: values[0] for key, values in parse_qs(urlsplit(arrived[0]).query).items()}
    assert set(query) == {"code", "state"}
    assert query["state"] == "phone-42"
    async with httpx.AsyncClient(base_url=live_server.base_url) as app:
        response = await app.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"],
                "redirect_uri": callback,
                "code_verifier": verifier,
            },
            auth=(setup.client_id, setup.client_secret),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["scope"] == "inventory:read stock_checks:count"
        assert body["refresh_token"]
        read = await app.get(
            "/api/warehouses/999999999",
            headers={
                "Authorization": f"Bearer {body['access_token']}",
                "X-Clarus-Subdomain": setup.subdomain,
            },
        )
        assert read.status_code == 404, read.text  # authenticated as the user; no such warehouse
