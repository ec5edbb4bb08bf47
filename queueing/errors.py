"""Errors a user can cause, each with a stable code, a readable detail and an HTTP status."""


class QueueError(Exception):
    """Base for refusals the domain makes; the API turns them into JSON (``api/errors.py``)."""

    status = 400
    code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code


class Forbidden(QueueError):
    """The user's role or counter may not do this (403)."""

    status = 403
    code = "forbidden"


class NotFound(QueueError):
    """No such ticket, counter or service here (404)."""

    status = 404
    code = "not_found"


class Conflict(QueueError):
    """The state changed under the user, or the action does not fit it (409)."""

    status = 409
    code = "conflict"
