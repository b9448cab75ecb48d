"""The merged OpenAPI document: every function's routes, in one file that api-docs serves.

`python -m localcloud openapi --write` regenerates it; `--check` fails if it is stale.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from localcloud.template import FunctionSpec, read_blueprint

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "functions" / "api_docs" / "openapi.json"
TITLE = "Smartrix Grid"
VERSION = "0.1.0"
DESCRIPTION = (
    "A community electricity grid: houses that consume and produce, utility producers, communities, "
    "autarky, bills. Bearer tokens: a house's or a producer's (returned at registration), or staff's."
)


def _resolver(spec: FunctionSpec) -> Any:
    name = f"localcloud_openapi.{spec.logical_id}"
    loader = importlib.util.spec_from_file_location(name, spec.module_path)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    sys.modules[name] = module
    loader.loader.exec_module(module)
    return module.app


def merged_document(template: Path = ROOT / "template.yaml") -> dict[str, Any]:
    from smartgrid.api import bearer_scheme

    blueprint = read_blueprint(template)
    document: dict[str, Any] = {}
    seen: set[str] = set()
    for spec in blueprint.functions.values():
        if not any(e.type == "Api" for e in spec.events) or str(spec.module_path) in seen:
            continue
        seen.add(str(spec.module_path))
        part = json.loads(
            _resolver(spec).get_openapi_json_schema(
                title=TITLE, version=VERSION, description=DESCRIPTION, security_schemes=bearer_scheme()
            )
        )
        if not document:
            document = part
            continue
        for path, operations in part.get("paths", {}).items():
            document["paths"].setdefault(path, {}).update(operations)
        for kind, entries in part.get("components", {}).items():
            merged = document.setdefault("components", {}).setdefault(kind, {})
            for name, entry in entries.items():
                # Two different models of one name: one would describe the other's routes.
                if name in merged and merged[name] != entry:
                    raise ValueError(
                        f"{spec.logical_id}: a different {kind[:-1]} named {name} exists: rename one"
                    )
                merged[name] = entry
    document["paths"] = dict(sorted(document.get("paths", {}).items()))
    for kind in document.get("components", {}):
        document["components"][kind] = dict(sorted(document["components"][kind].items()))
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="localcloud openapi", description=__doc__)
    parser.add_argument("--write", action="store_true", help="write functions/api_docs/openapi.json")
    parser.add_argument("--check", action="store_true", help="fail if the file is not current")
    args = parser.parse_args(argv)
    text = render(merged_document())
    if args.write:
        DOCUMENT.write_text(text)
        print(f"wrote {DOCUMENT.relative_to(ROOT)} ({len(json.loads(text)['paths'])} paths)")
    elif args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is stale: run `make openapi`", file=sys.stderr)
            return 1
        print("openapi.json is current")
    else:
        sys.stdout.write(text)
    return 0
