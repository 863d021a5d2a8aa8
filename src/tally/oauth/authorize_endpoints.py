"""Authorization code flow routes: sign-in and consent pages, metadata (placeholder)."""

from fastapi import APIRouter

router = APIRouter(tags=["oauth"])
