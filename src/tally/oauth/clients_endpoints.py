"""OAuth client administration routes (placeholder until the clients API lands)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["oauth clients"])
