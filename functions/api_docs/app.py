"""api-docs: the whole API's OpenAPI document, Swagger UI, and the health check.

Every function documents its own routes; `make openapi` merges them into `openapi.json`
beside this file (a test checks it is current), which this function serves.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel

from smartgrid.access import ANYONE
from smartgrid.api import GridApi
from smartgrid.observability import observability

obs = observability()
app = GridApi("api-docs")
DOCUMENT = Path(__file__).with_name("openapi.json")

SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Smartrix Grid API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "openapi.json", dom_id: "#ui"});</script>
</body></html>"""


class Health(BaseModel):
    status: str


@cache
def document() -> str:
    return json.dumps(json.loads(DOCUMENT.read_text()))


@app.get(
    "/openapi.json", allow=ANYONE, summary="The OpenAPI document of every route", include_in_schema=False
)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document())


@app.get("/docs", allow=ANYONE, summary="Swagger UI", include_in_schema=False)
def docs() -> Response[str]:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=SWAGGER_PAGE)


@app.get("/health", allow=ANYONE, summary="Is the grid up")
def health() -> Health:
    return Health(status="ok")


@obs.logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
