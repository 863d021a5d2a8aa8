"""The pure decisions about roles, accounts, emails and redirect URIs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tally.oauth.clients import redirect_uri_problem
from tally.oauth.rules import ADMIN, DEFAULT_SCOPES, KNOWN_SCOPES, client_scopes, unknown_scopes
from tally.users import rules

roles = st.sampled_from([*rules.ROLES, "financial", ""])
maybe_roles = st.none() | roles
scope_sets = st.frozensets(st.sampled_from([*KNOWN_SCOPES, "other"]))
account_ids = st.none() | st.integers(min_value=1, max_value=2**63 - 1)


@given(scope_sets, maybe_roles)
def test_a_user_token_never_exceeds_its_role_or_itself(scopes: frozenset[str], role: str | None) -> None:
    effective = rules.effective_scopes(scopes, role)
    assert effective <= scopes
    if role is None:
        assert effective == scopes
    else:
        assert effective == scopes & rules.role_scopes(role)


def test_roles_as_the_issue_describes_them() -> None:
    assert rules.role_scopes("rf") == {"stock_checks:count"}
    assert rules.role_scopes("client") == {"inventory:read"}
    assert ADMIN not in rules.role_scopes("standard") and "inventory:write" not in rules.role_scopes(
        "standard"
    )
    assert rules.role_scopes("admin") == set(KNOWN_SCOPES)
    assert rules.role_scopes("financial") == frozenset()  # a Clarus role Tally does not have


@given(maybe_roles, account_ids)
def test_only_client_users_are_confined_to_an_account(role: str | None, account_id: int | None) -> None:
    visible = rules.visible_account(role, account_id)
    if role != "client":
        assert visible is None
    elif account_id is None:
        assert visible == rules.NO_ACCOUNT  # fails closed: no account has id 0
    else:
        assert visible == account_id


@given(roles, account_ids)
def test_client_users_and_only_they_name_an_account(role: str, account_id: int | None) -> None:
    problem = rules.account_binding_problem(role, account_id)
    assert (problem is None) == ((role == "client") == (account_id is not None))


@given(st.text(max_size=300))
def test_valid_emails_are_one_at_sign_between_non_blank_parts(text: str) -> None:
    email = rules.normal_email(text)
    if rules.valid_email(email):
        local, _, domain = email.partition("@")
        assert local and domain and "@" not in domain
        assert not any(c.isspace() for c in email) and "\x00" not in email
        assert len(email) <= rules.MAX_EMAIL_LENGTH


def test_scopes_known_and_default() -> None:
    assert client_scopes(None) == client_scopes("  ") == list(DEFAULT_SCOPES)
    assert ADMIN not in DEFAULT_SCOPES and ADMIN in KNOWN_SCOPES
    assert client_scopes("admin") == ["admin"]
    assert unknown_scopes(["admin", "inventory:read", "root"]) == ["root"]


@given(st.text(max_size=80))
def test_registrable_redirect_uris_are_https_or_loopback_http_without_fragments(text: str) -> None:
    uri = "https://" + text
    if redirect_uri_problem(uri) is None:
        assert "#" not in uri and not any(c.isspace() for c in uri)
    for loopback in ("http://localhost/cb", "http://127.0.0.1:8080/cb", "http://[::1]/cb"):
        assert redirect_uri_problem(loopback) is None
    for refused in ("http://example.com/cb", "http://localhost.example.com/", "https://x/#", "mailto:a@b"):
        assert redirect_uri_problem(refused) is not None, refused
