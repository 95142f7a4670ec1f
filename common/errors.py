"""Domain errors: one hierarchy that names what went wrong, never an HTTP status.

Plain Python (no Django), so every layer may raise them. common.http_errors maps each class
to its status in one table and answers it. Every error answer is `{"error": "<what is
wrong>", "param": "<name>"}` (param only when a parameter is at fault), with `"choices":
[...]` where the values the parameter takes are few (a level's bands, a dataset's years):
a script can correct itself without parsing the sentence.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of the errors a request may end in. `title`, `hint` and `retry_params` let the
    HTML error page say more (a suggested request that fits: `retry_params` are the query
    parameters to change)."""

    title: str | None = None
    hint: str | None = None
    retry_params: dict[str, str] | None = None

    def __init__(
        self, message: str, *, param: str | None = None, choices: list[Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.choices = choices

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message}
        if self.param:
            body["param"] = self.param
        if self.choices is not None:
            body["choices"] = self.choices
        return body


class BadParameter(ServiceError):
    """A parameter is missing or malformed."""


class PayloadTooLarge(ServiceError):
    """A request body over the size the service reads."""


class MethodNotAllowed(ServiceError):
    """A method the resource does not answer; `allowed` are those it does."""

    def __init__(self, message: str, *, allowed: tuple[str, ...]) -> None:
        super().__init__(message)
        self.allowed = allowed


class NotFound(ServiceError):
    """An unknown dataset, parcel, job or file."""


class Forbidden(ServiceError):
    """Outside the caller's AOI grant; never says whether the thing exists."""


class QuotaExceeded(ServiceError):
    """Over a quota; `retry_after` seconds until the caller may try again."""

    def __init__(self, message: str, *, retry_after: int, param: str | None = None) -> None:
        super().__init__(message, param=param)
        self.retry_after = retry_after


class BackendUnavailable(ServiceError):
    """The database, broker, archive or chip store is down."""


class ArchiveUnavailable(BackendUnavailable):
    """No chip of a request could be read or written: the archive (or the store) fails."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"chip archive unavailable: {reason}")
        self.reason = reason
