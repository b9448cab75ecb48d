"""api-docs: the health check, the merged OpenAPI document and Swagger UI, open to anyone."""

from __future__ import annotations

from localcloud import LocalCloud
from tests.functions.support import api_event, call, content_type

FUNCTION = "ApiDocsFunction"
DIR = "api_docs"
NOT_DOCUMENTED = {("GET", "/openapi.json"), ("GET", "/docs")}


def test_the_health_check_answers_ok(cloud: LocalCloud) -> None:
    # When anyone asks whether the grid is up
    answer = call(cloud, FUNCTION, api_event(DIR, "get_health"))
    # Then it is
    assert answer.status == 200
    assert answer.json() == {"status": "ok"}


def test_the_openapi_document_covers_every_route_of_the_template(cloud: LocalCloud) -> None:
    # Given every API route the template declares
    routes = {
        (str(e.properties["Method"]).upper(), str(e.properties["Path"]))
        for spec in cloud.blueprint.functions.values()
        for e in spec.events
        if e.type == "Api"
    }
    # When anyone fetches the OpenAPI document
    answer = call(cloud, FUNCTION, api_event(DIR, "get_openapi"))
    # Then it is JSON, and documents each route (but its own pages)
    assert answer.status == 200
    assert content_type(answer).startswith("application/json")
    document = answer.json()
    assert document["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert routes - NOT_DOCUMENTED <= documented
    assert documented <= routes


def test_swagger_ui_is_an_html_page_that_loads_the_document(cloud: LocalCloud) -> None:
    # When anyone opens the docs
    answer = call(cloud, FUNCTION, api_event(DIR, "get_docs"))
    # Then it is an HTML page pointing at openapi.json
    assert answer.status == 200
    assert content_type(answer).startswith("text/html")
    assert 'url: "openapi.json"' in answer.body
