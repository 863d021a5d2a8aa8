"""create_app(): routers, middleware, one error handler."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tally import __version__
from tally.config import Settings, get_settings
from tally.db import Database
from tally.graphql.endpoints import router as graphql_router
from tally.http.errors import install_error_handlers
from tally.inventory.endpoints import router as inventory_router
from tally.logs import configure_logging
from tally.oauth.authorize_endpoints import router as authorize_router
from tally.oauth.clients_endpoints import router as clients_router
from tally.oauth.endpoints import router as oauth_router
from tally.stock_checks.endpoints import router as stock_checks_router
from tally.tasks.endpoints import router as tasks_router
from tally.users.endpoints import router as users_router

log = structlog.get_logger("tally.http")


class AccessLog:
    """One log line per request, with its status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    db = database or Database(settings.database_url, pool_size=settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if database is None:
            await db.dispose()

    app = FastAPI(
        title="Tally",
        version=__version__,
        description="Warehouse stock checks, compatible with the ClarusWMS stock-check API.",
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(oauth_router)
    app.include_router(authorize_router)
    app.include_router(clients_router)
    app.include_router(users_router)
    app.include_router(inventory_router)
    app.include_router(stock_checks_router)
    app.include_router(tasks_router)
    app.include_router(graphql_router)

    @app.get("/health", tags=["meta"], summary="Liveness")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(AccessLog)
    return app
