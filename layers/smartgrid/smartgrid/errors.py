"""Domain errors that the HTTP layer turns into 4xx answers."""

from __future__ import annotations


class GridError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(GridError):
    status = 404
    code = "not_found"


class Conflict(GridError):
    status = 409
    code = "conflict"


class Unauthorized(GridError):
    status = 401
    code = "unauthorized"


class Forbidden(GridError):
    status = 403
    code = "forbidden"


class Unprocessable(GridError):
    status = 422
    code = "unprocessable"
