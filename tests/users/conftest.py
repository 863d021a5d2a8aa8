"""Fixtures for the administration tests: clients holding the `admin` scope, in two tenants."""

from __future__ import annotations

import pytest

from tally.oauth.rules import ADMIN, DEFAULT_SCOPES
from tests.support import Api


@pytest.fixture
async def admin(api: Api) -> Api:
    """A client of the api's tenant holding every scope, admin included."""
    return await api.with_scopes(*DEFAULT_SCOPES, ADMIN)


@pytest.fixture
async def other_admin(other_api: Api) -> Api:
    return await other_api.with_scopes(*DEFAULT_SCOPES, ADMIN)
