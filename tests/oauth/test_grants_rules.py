"""The grant's pure decisions: PKCE, redirect URIs, scopes, the sign-in throttle and signed form values."""

from __future__ import annotations

import base64
import hashlib
import string
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tally.oauth import grants_rules, pkce, signing

UNRESERVED = string.ascii_letters + string.digits + "-._~"
verifiers = st.text(alphabet=UNRESERVED, min_size=43, max_size=128)
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
SCOPES = ["inventory:read", "inventory:write", "stock_checks:count", "stock_checks:manage"]


def test_the_rfc_7636_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert pkce.verifier_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")


@given(verifiers)
def test_a_verifier_matches_its_own_challenge_only(verifier: str) -> None:
    challenge = pkce.s256_challenge(verifier)
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert challenge == expected and pkce.valid_challenge(challenge)
    assert pkce.verifier_matches(verifier, challenge)
    assert not pkce.verifier_matches(verifier, challenge[:-1] + ("A" if challenge[-1] != "A" else "B"))
    # "plain" would compare the verifier itself; it never matches an S256 challenge.
    assert not pkce.verifier_matches(verifier, verifier)


@given(st.text(max_size=42) | st.text(min_size=129, max_size=200) | st.text(alphabet="+/= \x00", min_size=43))
def test_malformed_verifiers_never_match(verifier: str) -> None:
    assert not pkce.verifier_matches(verifier, pkce.s256_challenge("a" * 43))


REGISTERED = "https://app.example/cb https://app.example/cb2?x=1 com.example.app:/oauth"


@given(st.text(max_size=60))
def test_only_a_registered_uri_matches_exactly(uri: str) -> None:
    target = grants_rules.redirect_target(uri, REGISTERED)
    assert target in (None, uri)
    assert (target is not None) == (uri in REGISTERED.split())


def test_redirect_uri_rules() -> None:
    assert (
        grants_rules.redirect_target("https://app.example/cb2?x=1", REGISTERED)
        == "https://app.example/cb2?x=1"
    )
    assert grants_rules.redirect_target("https://APP.example/cb", REGISTERED) is None
    assert grants_rules.redirect_target(None, REGISTERED) is None  # more than one registered
    assert grants_rules.redirect_target(None, "https://a.example/cb") == "https://a.example/cb"
    assert grants_rules.redirect_target("https://a.example/cb#x", "https://a.example/cb#x") is None
    assert grants_rules.redirect_target(None, "") is None


def test_redirects_keep_the_registered_query() -> None:
    assert (
        grants_rules.redirect_with("https://app.example/cb?x=1", {"code": "a b", "state": None})
        == "https://app.example/cb?x=1&code=a+b"
    )


@given(
    st.lists(st.sampled_from(SCOPES), unique=True),
    st.lists(st.sampled_from(SCOPES), unique=True),
    st.lists(st.sampled_from([*SCOPES, "admin"]), unique=True),
)
def test_consent_scopes_are_the_intersection(
    requested: list[str], client: list[str], role: list[str]
) -> None:
    granted = grants_rules.consent_scopes(" ".join(requested), client, role)
    asked = set(requested) or set(client)
    assert set(granted) == asked & set(client) & set(role)
    assert granted == [s for s in client if s in granted]


@given(st.lists(st.sampled_from(SCOPES), unique=True), st.lists(st.sampled_from(SCOPES), unique=True))
def test_a_refresh_never_widens_the_grant(requested: list[str], grant: list[str]) -> None:
    narrowed = grants_rules.narrowed_scopes(" ".join(requested), grant)
    if not requested:
        assert narrowed == grant
    elif set(requested) <= set(grant):
        assert narrowed is not None and set(narrowed) == set(requested)
    else:
        assert narrowed is None


@given(
    st.lists(st.integers(min_value=0, max_value=30 * 60), max_size=30), st.integers(min_value=1, max_value=25)
)
def test_the_throttle_waits_until_fewer_than_the_limit_remain(ages: list[int], limit: int) -> None:
    failures = [NOW - timedelta(seconds=age) for age in ages]
    wait = grants_rules.throttle_wait(failures, NOW, limit)
    window = grants_rules.THROTTLE_WINDOW
    recent = [f for f in failures if NOW - f < window]
    if len(recent) < limit:
        assert wait is None
        return
    assert wait is not None and timedelta(0) < wait <= window
    later = NOW + wait
    assert len([f for f in failures if later - f < window]) < limit
    just_before = later - timedelta(microseconds=1)
    assert len([f for f in failures if just_before - f < window]) >= limit


def test_five_fresh_failures_mean_fifteen_minutes() -> None:
    wait = grants_rules.throttle_wait([NOW] * 5, NOW, grants_rules.ACCOUNT_FAILURE_LIMIT)
    assert wait is not None and grants_rules.whole_minutes(wait) == 15
    assert grants_rules.whole_minutes(timedelta(seconds=1)) == 1


@given(st.dictionaries(st.text(max_size=10), st.text(max_size=20) | st.integers() | st.none(), max_size=5))
def test_signed_values_round_trip_and_resist_change(payload: dict[str, object]) -> None:
    key = b"k" * 32
    payload.pop("iat", None)
    value = signing.sign(key, "p", payload, NOW)
    assert signing.unsign(key, "p", value, NOW, timedelta(minutes=1)) == {
        **payload,
        "iat": int(NOW.timestamp()),
    }
    assert signing.unsign(key, "other purpose", value, NOW, timedelta(minutes=1)) is None
    assert signing.unsign(b"x" * 32, "p", value, NOW, timedelta(minutes=1)) is None
    assert signing.unsign(key, "p", value, NOW + timedelta(minutes=2), timedelta(minutes=1)) is None
    body, mac = value.split(".")
    assert signing.unsign(key, "p", body + "A." + mac, NOW, timedelta(minutes=1)) is None


def test_csrf_fields_belong_to_their_cookie() -> None:
    key = b"k" * 32
    nonce, other = signing.new_csrf_nonce(), signing.new_csrf_nonce()
    assert signing.csrf_valid(key, nonce, signing.csrf_field(key, nonce))
    assert not signing.csrf_valid(key, other, signing.csrf_field(key, nonce))
    assert not signing.csrf_valid(key, nonce, f"{nonce}.forged")
    assert not signing.csrf_valid(key, None, signing.csrf_field(key, nonce))
    assert not signing.csrf_valid(b"x" * 32, nonce, signing.csrf_field(key, nonce))
