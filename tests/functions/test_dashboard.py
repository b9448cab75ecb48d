"""dashboard: its pages and assets are open to anyone (they hold no data), typed, cacheable,
and only the assets of its catalogue are served (a name is a key, never a path)."""

from __future__ import annotations

import re

import pytest

from localcloud import LocalCloud
from tests.functions.support import Answer, api_event, call, content_type

FUNCTION = "DashboardFunction"
DIR = "dashboard"


def asset(cloud: LocalCloud, name: str, headers: dict[str, str] | None = None) -> Answer:
    event = api_event(DIR, "get_asset", path={"name": name}, token=None)
    for header, value in (headers or {}).items():
        event["headers"][header] = value
        event["multiValueHeaders"][header] = [value]
    return call(cloud, FUNCTION, event)


def header(answer: Answer, name: str) -> str:
    return next((v for k, v in answer.headers.items() if k.lower() == name.lower()), "")


@pytest.mark.parametrize(
    ("case", "script"), [("get_operator_page", "grid.js"), ("get_house_page", "house.js")]
)
def test_a_page_is_html_without_a_token_naming_its_assets_by_hash(
    cloud: LocalCloud, case: str, script: str
) -> None:
    # When anyone opens a page, without a token
    answer = call(cloud, FUNCTION, api_event(DIR, case, token=None))
    # Then it is an HTML page, never cached stale, that frames and scripts of others cannot use
    assert answer.status == 200
    assert content_type(answer) == "text/html; charset=utf-8"
    assert header(answer, "Cache-Control") == "no-cache"
    assert "script-src 'self'" in header(answer, "Content-Security-Policy")
    assert header(answer, "X-Frame-Options") == "DENY"
    # And it loads plotly, the shared script and its own, each by a relative URL with its hash
    scripts = re.findall(r'<script src="([^"]+)"', answer.body)
    assert [s.split("/")[-1].split("?")[0] for s in scripts] == ["plotly.min.js", "common.js", script]
    assert all(re.search(r"assets/[\w.]+\?v=[0-9a-f]{16}$", s) and not s.startswith("/") for s in scripts)
    assert "{{" not in answer.body


def test_the_operator_page_points_at_assets_under_dashboard(cloud: LocalCloud) -> None:
    # The operator page is /dashboard: relative URLs must go through dashboard/ (its house page
    # is /dashboard/house, already under it), so that both resolve to /dashboard/assets/...
    operator = call(cloud, FUNCTION, api_event(DIR, "get_operator_page", token=None)).body
    house = call(cloud, FUNCTION, api_event(DIR, "get_house_page", token=None)).body
    assert re.search(r'src="dashboard/assets/grid\.js\?v=', operator)
    assert re.search(r'src="assets/house\.js\?v=', house)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("grid.js", "text/javascript"),
        ("house.js", "text/javascript"),
        ("common.js", "text/javascript"),
        ("style.css", "text/css"),
    ],
)
def test_an_own_asset_is_served_typed_and_cacheable(cloud: LocalCloud, name: str, kind: str) -> None:
    # When anyone fetches one of the dashboard's own assets
    answer = asset(cloud, name)
    # Then it is the file, of its type, cacheable for a day, with an ETag
    assert answer.status == 200
    assert content_type(answer) == f"{kind}; charset=utf-8"
    assert header(answer, "Cache-Control") == "public, max-age=86400"
    assert re.fullmatch(r'"[0-9a-f]{16}"', header(answer, "ETag"))
    assert answer.body == (cloud.blueprint.functions[FUNCTION].code_uri / "static" / name).read_text()


def test_plotly_is_served_from_the_installed_plotly_package(cloud: LocalCloud) -> None:
    # When the page loads plotly.js
    answer = asset(cloud, "plotly.min.js")
    # Then it is the plotly.js the plotly wheel ships, whole (under Lambda's 6 MB payload limit)
    assert answer.status == 200
    assert content_type(answer) == "text/javascript; charset=utf-8"
    assert answer.body.startswith("/**\n* plotly.js v")
    assert 4_000_000 < len(answer.body.encode()) < 6_000_000


def test_an_asset_the_browser_holds_is_not_sent_again(cloud: LocalCloud) -> None:
    # Given an asset once fetched, and its ETag
    etag = header(asset(cloud, "grid.js"), "ETag")
    # When the browser asks again with that ETag (among others)
    answer = asset(cloud, "grid.js", {"If-None-Match": f'"0000000000000000", {etag}'})
    # Then 304 without a body; another ETag gets the asset
    assert (answer.status, answer.body) == (304, "")
    assert asset(cloud, "grid.js", {"If-None-Match": '"0000000000000000"'}).status == 200


@pytest.mark.parametrize(
    "name", ["app.py", "secret.js", "..", "..%2F..%2Fapp.py", "..%2Fapp.py", "GRID.JS", "requirements.txt"]
)
def test_a_name_outside_the_catalogue_is_not_found_and_named(cloud: LocalCloud, name: str) -> None:
    # When anyone asks for an asset that is not in the catalogue (a file beside it, a path)
    answer = asset(cloud, name)
    # Then 404 naming the name, and nothing of the file
    assert answer.status == 404
    assert answer.error_fields() == ["name"]
    assert "import" not in answer.body


def test_a_name_too_long_is_refused_naming_it(cloud: LocalCloud) -> None:
    answer = asset(cloud, "a" * 65)
    assert answer.status == 422
    assert answer.error_fields() == ["path.name"]
