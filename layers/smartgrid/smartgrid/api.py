"""The HTTP side of every function: a powertools resolver with validation, OpenAPI,
access rules on each route, and JSON errors that name the field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from smartgrid import aws
from smartgrid.access import ANYONE, Authenticator, OwnerLookup, Principal, Rule, describe
from smartgrid.errors import GridError
from smartgrid.settings import AuthSettings
from smartgrid.stores.partners import PartnersRepository

BEARER = "bearerAuth"
MAX_BODY_BYTES = 1_048_576


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
        super().__init__(enable_validation=True)
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
        """Who is calling is settled before anything else, validation included: an
        anonymous caller learns nothing of a route's body rules."""
        method = str(event.get("httpMethod", "")).upper()
        path = str(event.get("path", ""))
        for verb, pattern, rules in self._guards:
            match = pattern.match(path)
            if verb == method and match:
                try:
                    principal = self.authenticator().check(rules, _authorization(event), match.groupdict())
                except GridError as error:
                    return _proxy(error.status, {"error": error.code, "message": error.message})
                self.append_context(principal=principal)
                break
        return super().resolve(event, context)

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
            {"field": "body", "message": "the body is not valid JSON"}
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


def _rule_pattern(rule: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", rule) + "$")


def _authorization(event: Any) -> str | None:
    for name, value in (event.get("headers") or {}).items():
        if name.lower() == "authorization":
            return str(value)
    return None


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
