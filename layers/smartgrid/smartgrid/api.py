"""The HTTP side of every function: a powertools resolver with validation, OpenAPI,
access rules on each route, and JSON errors that name the field.
"""

from __future__ import annotations

import base64
import json
import math
import re
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from pydantic import BaseModel

from smartgrid import aws
from smartgrid.access import ANYONE, Authenticator, OwnerLookup, Principal, Rule, describe
from smartgrid.errors import GridError
from smartgrid.settings import AuthSettings
from smartgrid.stores.partners import PartnersRepository

BEARER = "bearerAuth"
MAX_BODY_BYTES = 1_048_576  # far above any request of ours (a head-end batch is a few hundred kB)


# What DynamoDB can store: 38 significant digits, magnitudes from 1e-130 to below 1e126.
SMALLEST_NUMBER, LARGEST_NUMBER, MAX_DIGITS = 1e-130, 1e125, 38


def finite_json(text: str) -> Any:
    """A body as JSON, refusing what Python's json accepts but JSON does not (NaN, Infinity,
    1e999 that would become infinity) and numbers no table could store (5e-324, 10**40)."""

    def refuse(token: str) -> Any:
        raise json.JSONDecodeError(
            f"{token} is not a number we take: numbers must be finite, 0 or between "
            f"{SMALLEST_NUMBER:g} and {LARGEST_NUMBER:g} in size",
            text,
            0,
        )

    def storable_float(token: str) -> float:
        number = float(token)
        if not math.isfinite(number) or (number and not SMALLEST_NUMBER <= abs(number) <= LARGEST_NUMBER):
            refuse(token)
        return number

    def storable_int(token: str) -> int:
        if len(token.lstrip("-")) > MAX_DIGITS:
            refuse(token)
        return int(token)

    return json.loads(text, parse_constant=refuse, parse_float=storable_float, parse_int=storable_int)


def error_response(
    status: int,
    code: str,
    message: str,
    fields: list[dict[str, str]] | None = None,
    details: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {**(details or {}), "error": code, "message": message}
    if fields:
        body["fields"] = fields
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        where, rest = parts[0], parts[1:]
        return f"{where}.{'.'.join(rest)}" if rest else where
    return ".".join(parts)


class GridApi(APIGatewayRestResolver):
    """A resolver whose every route must say who may call it (`allow=`)."""

    def __init__(self, title: str) -> None:
        super().__init__(enable_validation=True, json_body_deserializer=finite_json)
        self.title = title
        self._authenticator: Authenticator | None = None
        self.access_rules: dict[tuple[str, str], tuple[Rule, ...]] = {}
        self._guards: list[tuple[str, re.Pattern[str], tuple[Rule, ...]]] = []
        self.exception_handler(RequestValidationError)(self._validation_error)
        self.exception_handler(GridError)(self._grid_error)
        self.exception_handler(json.JSONDecodeError)(self._json_error)

    # Routes ----------------------------------------------------------------------------
    def route(
        self, rule: str, method: Any, *args: Any, allow: tuple[Rule, ...] | Rule = (), **kwargs: Any
    ) -> Any:
        rules = allow if isinstance(allow, tuple) else (allow,)
        if not rules:
            raise TypeError(f"{method} {rule}: every route must say who may call it (allow=...)")
        methods = [method] if isinstance(method, str) else list(method)
        pattern = _rule_pattern(rule)
        for verb in methods:
            self.access_rules[(verb.upper(), rule)] = rules
            self._guards.append((verb.upper(), pattern, rules))
        who = describe(rules)
        kwargs["description"] = f"{kwargs['description']}\n\n{who}" if kwargs.get("description") else who
        kwargs.setdefault("openapi_extensions", {})["x-smartgrid-access"] = [r.label for r in rules]
        if ANYONE not in rules:
            kwargs.setdefault("security", [{BEARER: []}])
        kwargs["responses"] = _documented_responses(kwargs, public=ANYONE in rules)
        return super().route(rule, method, *args, **kwargs)

    def get(self, rule: str, *args: Any, allow: tuple[Rule, ...] | Rule = (), **kwargs: Any) -> Any:
        return self.route(rule, "GET", *args, allow=allow, **kwargs)

    def post(self, rule: str, *args: Any, allow: tuple[Rule, ...] | Rule = (), **kwargs: Any) -> Any:
        return self.route(rule, "POST", *args, allow=allow, **kwargs)

    def put(self, rule: str, *args: Any, allow: tuple[Rule, ...] | Rule = (), **kwargs: Any) -> Any:
        return self.route(rule, "PUT", *args, allow=allow, **kwargs)

    def patch(self, rule: str, *args: Any, allow: tuple[Rule, ...] | Rule = (), **kwargs: Any) -> Any:
        return self.route(rule, "PATCH", *args, allow=allow, **kwargs)

    def delete(self, rule: str, *args: Any, allow: tuple[Rule, ...] | Rule = (), **kwargs: Any) -> Any:
        return self.route(rule, "DELETE", *args, allow=allow, **kwargs)

    def resolve(self, event: Any, context: Any) -> dict[str, Any]:
        """A body too large, not JSON or not text is refused first (the same for every
        route); then who is calling is settled before validation: an anonymous caller
        learns nothing of a route's body rules."""
        refused = _refused_body(event)
        if refused is not None:
            return refused
        method = str(event.get("httpMethod", "")).upper()
        path = str(event.get("path", ""))
        for verb, pattern, rules in self._guards:
            match = pattern.match(path)
            if verb == method and match:
                try:
                    principal = self.authenticator().check(
                        rules, _authorization(event), _decoded(match.groupdict())
                    )
                except GridError as error:
                    return _proxy(error.status, {"error": error.code, "message": error.message})
                self.append_context(principal=principal)
                break
        return super().resolve(event, context)

    def _call_route(self, route: Any, route_arguments: dict[str, str]) -> Any:
        # API Gateway's REST `path` keeps the client's percent-encoding (`washing%20machine`),
        # and powertools passes path parameters as it matched them: a name is read decoded.
        return super()._call_route(route, _decoded(route_arguments))

    # Callers ---------------------------------------------------------------------------
    def principal(self) -> Principal | None:
        found = self.context.get("principal")
        return found if isinstance(found, Principal) else None

    def authenticator(self) -> Authenticator:
        if self._authenticator is None:
            self._authenticator = default_authenticator()
        return self._authenticator

    def use_authenticator(self, authenticator: Authenticator | None) -> None:
        self._authenticator = authenticator

    # Errors ----------------------------------------------------------------------------
    def _validation_error(self, error: RequestValidationError) -> Response:
        fields = [
            {"field": "body", "message": _json_problem(item)}
            if item.get("type") == "json_invalid"
            else {
                "field": _field_name(tuple(item.get("loc", ()))),
                "message": str(item.get("msg", "invalid")),
            }
            for item in error.errors()
        ]
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "invalid request"
        return error_response(422, "validation_error", summary, fields)

    def _grid_error(self, error: GridError) -> Response:
        fields = [{"field": error.field, "message": error.message}] if error.field else None
        return error_response(error.status, error.code, error.message, fields, error.details)

    def _json_error(self, error: json.JSONDecodeError) -> Response:
        return error_response(
            400,
            "bad_json",
            f"the body is not valid JSON: {error.msg}",
            [{"field": "body", "message": error.msg}],
        )


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx of the API: a code, a message, and the fields at fault (some errors add details)."""

    error: str
    message: str
    fields: list[FieldProblem] | None = None


ERRORS = {
    400: "the body is not JSON, or the Authorization header is malformed",
    401: "no token, or an unknown or revoked one",
    403: "this token may not use this route for this resource",
    404: "not found",
    409: "conflicts with what is stored",
    413: f"the body is over {MAX_BODY_BYTES} bytes",
    415: "the body is not JSON (Content-Type)",
    422: "a field is not valid (named in `fields`)",
}


def _documented_responses(route: dict[str, Any], public: bool) -> dict[int, Any]:
    """The route's own success answer, and every error any route may give, with its body."""
    responses: dict[int, Any] = dict(route.get("responses") or {})
    responses.setdefault(int(route.get("status_code", 200)), {"description": "Successful Response"})
    for status, description in ERRORS.items():
        if public and status in (401, 403):
            continue
        responses.setdefault(
            status,
            {"description": description, "content": {content_types.APPLICATION_JSON: {"model": ErrorBody}}},
        )
    return responses


def _json_problem(item: Any) -> str:
    problem = (item.get("ctx") or {}).get("error")
    return f"the body is not valid JSON: {problem}" if problem else "the body is not valid JSON"


def _refused_body(event: Any) -> dict[str, Any] | None:
    """A body too large, said not to be JSON, or not text: refused before anything reads it."""
    raw = _body_bytes(event)
    if len(raw) > MAX_BODY_BYTES:
        problem = (
            413,
            "payload_too_large",
            f"the body is {len(raw)} bytes, over the {MAX_BODY_BYTES} allowed",
        )
    elif raw and not _is_json(_header(event, "content-type")):
        problem = (415, "unsupported_media_type", "a body must be JSON (Content-Type: application/json)")
    else:
        try:
            raw.decode("utf-8")
            return None
        except UnicodeDecodeError as error:  # found by the fuzzing: a 502 in the resolver
            problem = (400, "bad_json", f"the body is not UTF-8 text (byte {error.start})")
    status, code, message = problem
    field = "header.Content-Type" if status == 415 else "body"
    return _proxy(
        status, {"error": code, "message": message, "fields": [{"field": field, "message": message}]}
    )


def _body_bytes(event: Any) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body, validate=False)
    return str(body).encode("utf-8", "surrogatepass")


def _decoded(path_parameters: dict[str, str]) -> dict[str, str]:
    return {name: unquote(value) for name, value in path_parameters.items()}


def _rule_pattern(rule: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", rule) + "$")


def _authorization(event: Any) -> str | None:
    return _header(event, "authorization")


def _header(event: Any, wanted: str) -> str | None:
    for name, value in (event.get("headers") or {}).items():
        if name.lower() == wanted:
            return str(value)
    return None


def _is_json(content_type: str | None) -> bool:
    """No Content-Type is taken as JSON (what every client of ours sends); else it must say so."""
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _proxy(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def default_authenticator() -> Authenticator:
    """Tokens checked against the client and producer stores (read-only), and the partner
    store for the functions given one (PARTNERS_TABLE)."""
    settings = AuthSettings.from_env()
    clients = aws.dynamodb_table(settings.clients_table)
    producers = aws.dynamodb_table(settings.producers_table)
    partners = PartnersRepository(settings.partners_table) if settings.partners_table else None

    def house_token(house_id: str) -> str | None:
        item = clients.get_item(Key={"houseId": house_id}, ProjectionExpression="tokenSha256").get("Item")
        return str(item["tokenSha256"]) if item and "tokenSha256" in item else None

    def producer_credentials(producer_id: str) -> tuple[str | None, str | None] | None:
        item = producers.get_item(
            Key={"producerId": producer_id}, ProjectionExpression="tokenSha256, houseId"
        ).get("Item")
        if not item:
            return None
        return (item.get("tokenSha256"), item.get("houseId"))

    return Authenticator(
        settings.staff_token_sha256,
        OwnerLookup(house_token, producer_credentials, partners.token_sha256 if partners else None),
        head_end_token_sha256=settings.head_end_token_sha256,
    )


def bearer_scheme() -> dict[str, HTTPBearer]:
    return {BEARER: HTTPBearer(description="a house, producer, partner or staff token")}
