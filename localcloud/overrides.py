"""`--parameter-overrides Name=Value ...` for the local grid, as `sam deploy` and `sam local
start-api` take them: each value is checked against its template parameter's constraints
(Type Number, MinValue, MaxValue, AllowedValues, AllowedPattern, MinLength, MaxLength), so a
typo is refused at start with the parameter named, not found later in a function's log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

# Set by the runtime from its own tokens (SMARTGRID_STAFF_TOKEN, the head-end's): overriding
# them would leave the grid refusing the tokens it printed.
RUNTIME_OWNED = {
    "StaffTokenSha256": "set SMARTGRID_STAFF_TOKEN instead",
    "HeadEndToken": "the local grid makes its own",
    "HeadEndTokenSha256": "the local grid makes its own",
}


class BadOverride(ValueError):
    pass


def parse_overrides(pairs: Iterable[str], declared: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """`Name=Value` pairs as a dict, each checked against `declared` (the template's
    Parameters section); the first bad one raises BadOverride naming it."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise BadOverride(f"{pair!r}: a parameter override is Name=Value")
        if name in RUNTIME_OWNED:
            raise BadOverride(f"{name}: not overridable locally ({RUNTIME_OWNED[name]})")
        if name not in declared:
            known = ", ".join(sorted(set(declared) - set(RUNTIME_OWNED)))
            raise BadOverride(f"{name}: no such parameter in template.yaml (parameters: {known})")
        problem = _problem(value, declared[name])
        if problem:
            raise BadOverride(f"{name}={value}: {problem}")
        values[name] = value
    return values


def _problem(value: str, spec: Mapping[str, Any]) -> str | None:
    if spec.get("Type") == "Number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            return "not a number"
        if not number.is_finite():
            return "not a number"
        if "MinValue" in spec and number < Decimal(str(spec["MinValue"])):
            return f"below its MinValue {spec['MinValue']}"
        if "MaxValue" in spec and number > Decimal(str(spec["MaxValue"])):
            return f"above its MaxValue {spec['MaxValue']}"
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(v) for v in allowed]:
        return f"not one of {', '.join(str(v) for v in allowed)}"
    pattern = spec.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(str(pattern), value):
        return f"does not match {pattern}"
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        return f"shorter than its MinLength {spec['MinLength']}"
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        return f"longer than its MaxLength {spec['MaxLength']}"
    return None
