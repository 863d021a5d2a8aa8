"""User routes (placeholder until the users API lands)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["users"])
