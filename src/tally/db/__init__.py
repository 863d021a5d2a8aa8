"""Engines, sessions, the declarative base and migrations."""

from tally.db.base import Base
from tally.db.engine import Database

__all__ = ["Base", "Database"]
