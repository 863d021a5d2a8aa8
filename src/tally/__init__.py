"""Tally: a multi-tenant warehouse stock-check service compatible with the ClarusWMS stock-check API."""

__version__ = "0.1.0"
