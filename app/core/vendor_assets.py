"""Third-party browser assets served locally (the UI must work offline, never from a CDN).

plotly.js comes from the installed ``plotly`` Python package; htmx and Swagger UI (the
``/docs`` page) from ``node_modules`` (``make install`` runs ``npm ci``). Without
node_modules the pages still work: htmx is progressive enhancement over plain forms and
links.
"""

from __future__ import annotations

from pathlib import Path

import plotly
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route, Router

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO_ROOT / "node_modules"
VENDOR_FILES = {
    "plotly.min.js": Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
    "htmx.min.js": NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js",
    "swagger-ui-bundle.js": NODE_MODULES / "swagger-ui-dist" / "swagger-ui-bundle.js",
    "swagger-ui.css": NODE_MODULES / "swagger-ui-dist" / "swagger-ui.css",
}


def vendor_path(name: str) -> Path | None:
    """The file behind ``/static/vendor/<name>``, when it is installed."""
    path = VENDOR_FILES.get(name)
    return path if path is not None and path.is_file() else None


async def _serve(request: Request) -> Response:
    path = vendor_path(request.path_params["name"])
    if path is None:
        return PlainTextResponse("not installed (run `make install`)", status_code=404)
    return FileResponse(
        path,
        media_type="text/css" if path.suffix == ".css" else "text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def vendor_app() -> Router:
    """An ASGI app to mount at ``/static/vendor`` (before the ``/static`` mount)."""
    return Router(routes=[Route("/{name}", _serve, methods=["GET", "HEAD"])])
