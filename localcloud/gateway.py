"""API Gateway (REST, proxy integration) in front of the functions that own the routes."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from localcloud.host import FunctionHost

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit


@dataclass(frozen=True)
class Route:
    method: str
    resource: str  # the template's path, e.g. /houses/{houseId}
    host: FunctionHost
    pattern: re.Pattern[str] = field(compare=False)

    @classmethod
    def of(cls, method: str, resource: str, host: FunctionHost) -> Route:
        regex = ""
        for part in re.split(r"(\{[^}]+\})", resource):
            if part.startswith("{") and part.endswith("+}"):
                regex += f"(?P<{part[1:-2]}>.+)"
            elif part.startswith("{"):
                regex += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                regex += re.escape(part)
        return cls(method.upper(), resource, host, re.compile(f"^{regex}$"))

    @property
    def specificity(self) -> tuple[int, int]:
        return (self.resource.count("{"), -len(self.resource))


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def _error(status: int, code: str, message: str) -> HttpResponse:
    body = json.dumps({"error": code, "message": message}).encode()
    return HttpResponse(status, {"Content-Type": "application/json"}, body)


class Gateway:
    def __init__(self, stage: str, account: str) -> None:
        self.stage = stage
        self.account = account
        self.routes: list[Route] = []

    def add(self, method: str, resource: str, host: FunctionHost) -> None:
        self.routes.append(Route.of(method, resource, host))
        self.routes.sort(key=lambda r: r.specificity)

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> HttpResponse:
        path, _, query = raw_path.partition("?")
        method = method.upper()
        matches = [(r, m) for r in self.routes if (m := r.pattern.match(path))]
        if not matches:
            return _error(404, "not_found", f"no route for {path}")
        chosen = next(((r, m) for r, m in matches if r.method in (method, "ANY")), None)
        if chosen is None:
            # The methods of the resource the path is (the most specific match), not of any
            # resource it could be (/batteries/states is not /batteries/{batteryId}).
            resource = matches[0][0].resource
            allow = ", ".join(sorted({r.method for r, _ in matches if r.resource == resource}))
            if method == "OPTIONS":
                return HttpResponse(204, {"Allow": allow}, b"")
            refused = _error(405, "method_not_allowed", f"{method} is not allowed on {path}")
            refused.headers["Allow"] = allow
            return refused
        if len(body) > MAX_PAYLOAD_BYTES:
            return _error(413, "payload_too_large", f"the body is over {MAX_PAYLOAD_BYTES} bytes")
        route, match = chosen
        event = self._event(route, match.groupdict(), method, path, query, headers, body)
        try:
            result = route.host.invoke(event)
        except Exception as error:  # a crashed function is API Gateway's 502
            return _error(
                502, "function_error", f"{route.host.spec.logical_id} failed: {type(error).__name__}"
            )
        return self.proxy_response(result)

    def _event(
        self,
        route: Route,
        params: dict[str, str],
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
    ) -> dict[str, Any]:
        multi_query = parse_qs(query, keep_blank_values=True) if query else {}
        multi_headers: dict[str, list[str]] = {}
        for name, value in headers.items():
            multi_headers.setdefault(name, []).append(value)
        try:
            text, encoded = body.decode(), False
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
        now = time.time()
        return {
            "resource": route.resource,
            "path": path,
            "httpMethod": method,
            "headers": dict(headers) or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": route.resource,
                "httpMethod": method,
                "path": f"/{self.stage}{path}",
                "stage": self.stage,
                "accountId": self.account,
                "apiId": "local",
                "protocol": "HTTP/1.1",
                "requestId": str(uuid.uuid4()),
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "requestTimeEpoch": int(now * 1000),
                "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
            },
            "body": text if body else None,
            "isBase64Encoded": encoded,
        }

    @staticmethod
    def proxy_response(result: Any) -> HttpResponse:
        """A Lambda proxy answer as the HTTP answer API Gateway sends."""
        if not isinstance(result, dict) or "statusCode" not in result:
            return _error(
                502, "malformed_lambda_response", "the function did not answer with a proxy response"
            )
        headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(str(v) for v in values)
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        return HttpResponse(int(result["statusCode"]), headers, body)
