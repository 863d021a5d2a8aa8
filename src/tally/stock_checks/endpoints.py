"""Stock-check routes (ClarusWMS contract)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["stock checks"])
