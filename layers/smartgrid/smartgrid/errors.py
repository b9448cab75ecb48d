"""Domain errors that the HTTP layer turns into 4xx answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class GridError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, field: str | None = None, details: Mapping[str, Any] | None = None
    ) -> None:
        """`details`: more members of the error body, for a client to act on (a balance, a level)."""
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = dict(details or {})


class NotFound(GridError):
    status = 404
    code = "not_found"


class Conflict(GridError):
    status = 409
    code = "conflict"


class PaymentRequired(GridError):
    status = 402
    code = "payment_required"


class Unauthorized(GridError):
    status = 401
    code = "unauthorized"


class Forbidden(GridError):
    status = 403
    code = "forbidden"


class Unprocessable(GridError):
    status = 422
    code = "unprocessable"
