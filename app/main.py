"""The FastAPI application: every domain's API and page routers, errors, middleware."""

from __future__ import annotations

import base64
import hashlib
import importlib
import logging
import re
from http import HTTPStatus
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from app.core.body_limit import LimitBody
from app.core.db import make_engine
from app.core.errors import SeatwiseError, from_database_error, retry_after
from app.core.nul_guard import RefuseNul
from app.core.prefix import PathPrefix, route_path
from app.core.settings import Settings, get_settings
from app.core.templating import templates
from app.core.vendor_assets import vendor_app
from app.deps import Forbidden, LoginRequired
from app.openapi import install_openapi

# Routers mounted, in order; a module that fails to import is a startup error.
ROUTER_MODULES = [
    "app.auth.api",
    "app.sync.api",
    "app.sync.connectors_api",
    "app.inventory.api",
    "app.people.api",
    "app.renewals.api",
    "app.notify.api",
    "app.inventory.contracts_api",
    "app.spend.invoices_api",
    "app.auth.pages",
    "app.auth.account_pages",
    "app.dashboard.pages",
    "app.inventory.pages",
    "app.findings.bulk_api",
    "app.findings.pages",
    "app.sync.pages",
    "app.people.pages",
    "app.renewals.pages",
    "app.spend.pages",
    "app.inventory.contracts_pages",
    "app.inventory.contract_edit_api",
    "app.auth.admin_pages",
    "app.auth.admin_api",
    "app.findings.api",
    "app.spend.api",
]

log = logging.getLogger(__name__)

CSP = (
    # Inline *styles* are allowed (plotly sets element styles); inline *scripts* are not.
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)


HSTS = "max-age=31536000"
"""A year of HTTPS only for this host (no subdomains: they may be other services')."""


def security_headers() -> dict[str, str]:
    """The headers every answer carries (an answer may set its own CSP: ``/docs``)."""
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
    }


def csp_admitting_inline_scripts(html: bytes) -> str:
    """:data:`CSP` admitting the inline scripts of ``html`` by their hashes, and no other.

    Swagger UI's page (``/docs``) starts itself with an inline script; a CSP without
    ``script-src 'unsafe-inline'`` still refuses any script injected beside it.
    """
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
        for body in re.findall(rb"<script>(.*?)</script>", html, flags=re.DOTALL)
    )
    return CSP.replace("script-src 'self'", f"script-src 'self' {hashes}".rstrip())


class SecurityHeaders:
    """ASGI middleware: :func:`security_headers` on every answer that lacks them, including
    those other middleware send themselves (a NUL refused, a body too large).

    Every answer but the static files is also ``Cache-Control: no-store`` unless it says
    otherwise: pages, API answers and downloads hold people, costs and findings, which
    the browser must not keep on disk (nor show from its history after a logout).
    Served over HTTPS (``https``: the cookies are Secure, as in production), answers
    also say HSTS, so the browser never tries plain HTTP first (where the first request
    could be intercepted and rewritten).
    """

    def __init__(self, app: Any, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = security_headers()
        if not scope["path"].startswith("/static/"):
            wanted["Cache-Control"] = "no-store"
        if self.https:
            wanted["Strict-Transport-Security"] = HSTS

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def version() -> str:
    """The installed Seatwise version."""
    return dist_version("seatwise")


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return not route_path(request).startswith("/api/") and "application/json" not in accept


def _in_words(loc: list[Any], message: str, request: Request) -> str:
    """One validation error of a page's address, for a person: which part, what it held."""
    where, *name = [str(part) for part in loc] or ["request"]
    field = ".".join(name) or where
    if where == "query":
        value = request.query_params.get(field, "")
        return f"{field}={value!r} in the address: {message}"
    if where == "path":
        value = request.path_params.get(field, "")
        return f"{value!r} in the address is not a valid {field.replace('_', ' ')}: {message}"
    return f"{field}: {message}"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem+json response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _error_response(request: Request, exc: SeatwiseError) -> Response:
    """The error page for a browser, problem+json for the API (503s say when to retry)."""
    answer: Response
    if _wants_html(request):
        answer = templates.TemplateResponse(
            request,
            "error.html",
            {"title": exc.title, "detail": str(exc)},
            status_code=exc.status_code,
        )
    else:
        answer = problem(exc.status_code, exc.title, str(exc))
    retry_after(answer.headers, exc.status_code)
    return answer


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_html(request):
            # The whole address, query included: a shared or bookmarked filtered report
            # opens as it was sent once its reader has logged in.
            here = route_path(request) + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
        answer = problem(401, "Unauthorized", "log in or send a valid bearer token")
        answer.headers["WWW-Authenticate"] = 'Bearer realm="seatwise"'  # RFC 6750
        return answer

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if _wants_html(request):
            return templates.TemplateResponse(
                request, "error.html", {"title": "Forbidden", "detail": str(exc)}, status_code=403
            )
        return problem(403, "Forbidden", str(exc))

    @app.exception_handler(SeatwiseError)
    async def _seatwise_error(request: Request, exc: SeatwiseError) -> Response:
        return _error_response(request, exc)

    @app.exception_handler(SQLAlchemyError)
    async def _database_error(request: Request, exc: SQLAlchemyError) -> Response:
        known = from_database_error(exc)
        if known is None:
            raise exc  # a bug: the server's own 500, with the traceback in its log
        log.warning("%s %s: %s", request.method, request.url.path, known)
        return _error_response(request, known)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Starlette's own answers: no route at this address (404), a route without this
        # method (405, with its Allow header). FastAPI would send {"detail": "Not Found"}.
        title = HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404:
            docs = request.scope.get("root_path", "") + "/docs"
            detail = f"nothing at {request.url.path}; the API's addresses are listed at {docs}"
        elif exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "")
            detail = f"{request.method} is not allowed at {request.url.path} (allowed: {allowed})"
        else:
            detail = str(exc.detail)
        answer: Response
        if _wants_html(request):
            answer = templates.TemplateResponse(
                request,
                "error.html",
                {"title": title, "detail": detail},
                status_code=exc.status_code,
            )
        else:
            answer = problem(exc.status_code, title, detail)
        answer.headers.update(exc.headers or {})
        return answer

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        # A bug: the traceback goes to the server's log (Starlette re-raises it after this
        # answer); the client is told no more than that, in the API's own format.
        # Answered outside every middleware (Starlette's ServerErrorMiddleware), so the
        # security headers are set here.
        answer: Response
        if _wants_html(request):
            answer = PlainTextResponse("Internal Server Error", status_code=500)
        else:
            answer = problem(
                500,
                "Internal Server Error",
                "the server failed to answer this request; the error is in its log",
            )
        answer.headers.update({**security_headers(), "Cache-Control": "no-store"})
        return answer

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        if _wants_html(request):
            # A page reached with a bad address (an edited link, an old bookmark): the
            # error page in words, not the API's JSON, which a browser shows raw.
            detail = "; ".join(_in_words(e["loc"], e["msg"], request) for e in errors)
            return templates.TemplateResponse(
                request,
                "error.html",
                {"title": "This address cannot be shown", "detail": detail},
                status_code=422,
            )
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem(422, "Invalid request", detail, errors=errors)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the application; tests pass their own settings and engine."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    app = FastAPI(title="Seatwise", version=version(), docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine

    app.add_middleware(RefuseNul)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="seatwise_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.cookie_secure,
        path=settings.root_path or "/",  # RFC 6265: "/seatwise" matches "/seatwise/x" only
    )
    app.add_middleware(LimitBody)
    # Added last, so outermost: the refusals of the middleware above carry the headers too.
    app.add_middleware(SecurityHeaders, https=settings.cookie_secure)
    static_dir = Path(__file__).parent / "static"
    app.mount("/static/vendor", vendor_app(), name="vendor")
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    _install_error_handlers(app)

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        """The OpenAPI docs, with Swagger UI served from here (no CDN: works offline)."""
        page = get_swagger_ui_html(
            # In the page's script, where PathPrefix does not look: its prefix is added here.
            openapi_url=request.scope.get("root_path", "") + (app.openapi_url or "/openapi.json"),
            title="Seatwise API",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )
        page.headers["Content-Security-Policy"] = csp_admitting_inline_scripts(bytes(page.body))
        return page

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """Browsers ask for /favicon.ico whatever the page says."""
        return RedirectResponse("/static/favicon.svg", status_code=308)

    @app.get("/health", tags=["health"])
    def health() -> JSONResponse:
        """Liveness and database reachability."""
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            db = "ok"
        except Exception as exc:
            return JSONResponse(
                {
                    "status": "error",
                    "version": version(),
                    "database": f"unreachable: {exc.__class__.__name__}",
                },
                status_code=503,
            )
        return JSONResponse({"status": "ok", "version": version(), "database": db})

    for module_name in ROUTER_MODULES:
        module = importlib.import_module(module_name)
        # The HTML pages and their forms are for browsers, not API clients: /docs and
        # /openapi.json describe the REST API (and /health) only.
        app.include_router(module.router, include_in_schema=not module_name.endswith("pages"))
    install_openapi(app)
    if settings.root_path:
        app.add_middleware(PathPrefix, prefix=settings.root_path)  # outermost: sees all
    return app
