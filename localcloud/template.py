"""Reading template.yaml: CloudFormation's short tags, SAM Globals, and the functions."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUPPORTED_EVENTS = {"Api", "SQS", "Schedule", "EventBridgeRule"}


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        loaded = yaml.load(handle, Loader=_CfnLoader)
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} is not a template")
    return loaded


@dataclass(frozen=True)
class EventSpec:
    name: str
    type: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, Any]
    timeout: int
    memory: int
    events: list[EventSpec] = field(default_factory=list)

    @property
    def module_path(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_uri / (module.replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class Blueprint:
    root: Path
    template: dict[str, Any]
    functions: dict[str, FunctionSpec]

    @property
    def resources(self) -> dict[str, Any]:
        return self.template.get("Resources", {})

    @property
    def parameters(self) -> dict[str, Any]:
        return self.template.get("Parameters", {})

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == resource_type}


def _merged(globals_: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals: the function's own values win; maps such as Variables merge."""
    merged = copy.deepcopy(globals_)
    for key, value in properties.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_blueprint(template_path: Path) -> Blueprint:
    template = load_template(template_path)
    root = template_path.parent
    function_globals = template.get("Globals", {}).get("Function", {})
    functions: dict[str, FunctionSpec] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = _merged(function_globals, resource.get("Properties", {}))
        events = [
            EventSpec(name, e["Type"], e.get("Properties", {})) for name, e in props.get("Events", {}).items()
        ]
        for event in events:
            if event.type not in SUPPORTED_EVENTS:
                raise NotImplementedError(
                    f"{logical_id}.{event.name}: the local runtime does not trigger {event.type} events yet "
                    f"(it knows {', '.join(sorted(SUPPORTED_EVENTS))})"
                )
        functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_uri=root / props["CodeUri"],
            handler=props["Handler"],
            environment=props.get("Environment", {}).get("Variables", {}),
            timeout=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            events=events,
        )
    return Blueprint(root=root, template=template, functions=functions)
