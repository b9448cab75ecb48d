"""dashboard: the operator's page, the household page, and their assets (plotly.js included).

The pages and assets carry no data, so anyone may fetch them; every datum is fetched by the
page's own script from the JSON routes, with the bearer token the user gave the page (in the
URL fragment, which browsers never send, or in its token form).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path as PathParam

from smartgrid.access import ANYONE
from smartgrid.api import GridApi
from smartgrid.errors import NotFound
from smartgrid.observability import observability

obs = observability()
app = GridApi("dashboard")
HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
HTML = "text/html; charset=utf-8"
JAVASCRIPT = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
OWN_ASSETS = {"common.js": JAVASCRIPT, "grid.js": JAVASCRIPT, "house.js": JAVASCRIPT, "style.css": CSS}
PLOTLY = "plotly.min.js"
ASSET_REFERENCE = re.compile(r"\{\{\s*asset:([\w.-]+)\s*\}\}")
ASSET_MAX_AGE = 86_400  # URLs carry the asset's hash: a new deploy is a new URL
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # plotly sets inline styles and draws images from data: URLs; no script but ours and plotly's
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
AssetName = Annotated[str, PathParam(min_length=1, max_length=64, description="e.g. grid.js, plotly.min.js")]
HTML_RESPONSE: dict[int | str, Any] = {200: {"description": "An HTML page", "content": {"text/html": {}}}}


@dataclass(frozen=True)
class Asset:
    name: str
    content_type: str
    body: str
    version: str  # a short hash of the body: its ETag, and the `?v=` of the URLs that name it


def plotly_path() -> Path:
    """plotly.min.js as the plotly wheel ships it, found without importing plotly (heavy)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the plotly package is not installed (functions/dashboard/requirements.txt)")
    return Path(spec.origin).parent / "package_data" / PLOTLY


@cache
def asset(name: str) -> Asset | None:
    """The asset called `name`, read once per container; None when there is none of that name."""
    if name == PLOTLY:
        path, content_type = plotly_path(), JAVASCRIPT
    elif name in OWN_ASSETS:
        path, content_type = STATIC / name, OWN_ASSETS[name]
    else:
        return None
    body = path.read_text(encoding="utf-8")
    version = hashlib.sha256(body.encode()).hexdigest()[:16]
    return Asset(name, content_type, body, version)


@cache
def page(template: str, assets_prefix: str) -> str:
    """A page's HTML, its asset references made relative URLs with the asset's hash.

    Relative, so the page works under a stage prefix (/dev/dashboard) as well as locally."""

    def reference(match: re.Match[str]) -> str:
        found = asset(match.group(1))
        if found is None:
            raise LookupError(f"{template} names an unknown asset {match.group(1)}")
        return f"{assets_prefix}assets/{found.name}?v={found.version}"

    return ASSET_REFERENCE.sub(reference, (TEMPLATES / template).read_text(encoding="utf-8"))


def html(body: str) -> Response[str]:
    return Response(status_code=200, content_type=HTML, body=body, headers=dict(PAGE_HEADERS))


@app.get(
    "/dashboard",
    allow=ANYONE,
    summary="The operator's dashboard (HTML; its data come from the staff routes, with the staff token)",
    responses=HTML_RESPONSE,
)
def operator_page() -> Response[str]:
    return html(page("grid.html", "dashboard/"))


@app.get(
    "/dashboard/house",
    allow=ANYONE,
    summary="A household's page (HTML; its data come from the house's routes, with its token)",
    responses=HTML_RESPONSE,
)
def house_page() -> Response[str]:
    return html(page("house.html", ""))


@app.get(
    "/dashboard/assets/<name>",
    allow=ANYONE,
    summary="A script or style sheet of the dashboard (plotly.js included), cacheable",
    responses={200: {"description": "JavaScript or CSS", "content": {"text/javascript": {}, "text/css": {}}}},
)
def dashboard_asset(name: AssetName) -> Response[str]:
    found = asset(name)
    if found is None:
        raise NotFound(f"no dashboard asset is called {name!r}", field="name")
    return asset_response(found, app.current_event.get_header_value("If-None-Match"))


def asset_response(found: Asset, if_none_match: str | None) -> Response[str]:
    etag = f'"{found.version}"'
    headers = {
        "Cache-Control": f"public, max-age={ASSET_MAX_AGE}",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, body="", headers=headers)
    return Response(status_code=200, content_type=found.content_type, body=found.body, headers=headers)


@obs.logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
