"""Where an access happens (the page or endpoint), set once per request so the auditor can record it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

_where: ContextVar[str] = ContextVar("audit_where", default="unknown")


def current_where() -> str:
    return _where.get()


@contextmanager
def accessed_from(where: str) -> Iterator[None]:
    """For code outside a request (tasks, commands): `with accessed_from("task monthly_report"): ...`."""
    token = _where.set(where)
    try:
        yield
    finally:
        _where.reset(token)


class AuditContextMiddleware:
    """Records the resolved URL name and method, e.g. "GET people:child-detail" or "PATCH api:child-detail"."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _where.set(f"{request.method} {request.path}"[:200])  # until the URL is resolved
        try:
            return self.get_response(request)
        finally:
            _where.reset(token)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> None:
        match = request.resolver_match
        name = match.view_name if match else request.path
        _where.set(f"{request.method} {name}"[:200])
