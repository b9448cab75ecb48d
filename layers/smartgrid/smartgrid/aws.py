"""boto3 clients, created once per process and endpoint.

Creating a client costs tens of milliseconds, so they are cached; the key includes the
endpoint so the same code talks to AWS, LocalStack or the local moto server (boto3 reads
AWS_ENDPOINT_URL itself).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3

_lock = threading.Lock()
_clients: dict[tuple[str, str, str], Any] = {}
_resources: dict[tuple[str, str, str], Any] = {}


def _key(service: str) -> tuple[str, str, str]:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    return service, region, endpoint


def client(service: str) -> Any:
    key = _key(service)
    with _lock:
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(service, region_name=key[1])  # type: ignore[call-overload]
        return _clients[key]


def dynamodb_resource() -> Any:
    """The resource interface, which speaks plain Python values (Decimal for numbers)."""
    key = _key("dynamodb")
    with _lock:
        if key not in _resources:
            _resources[key] = boto3.session.Session().resource("dynamodb", region_name=key[1])
        return _resources[key]


def dynamodb_table(name: str) -> Any:
    return dynamodb_resource().Table(name)


def forget_clients() -> None:
    """Drop cached clients (tests that restart the AWS emulation call this)."""
    with _lock:
        _clients.clear()
        _resources.clear()
