"""POST /graphql (placeholder until the read schema lands)."""

from fastapi import APIRouter

router = APIRouter(tags=["graphql"])
