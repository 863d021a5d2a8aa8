"""What a tenant subdomain may look like."""

from __future__ import annotations

import re

SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def valid_subdomain(value: str) -> bool:
    """A DNS label in lower case: letters, digits and inner hyphens, at most 63 characters."""
    return bool(SUBDOMAIN.fullmatch(value))
