from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse


class PermissionsPolicyMiddleware:
    """Switches off browser features the service never uses (settings.PERMISSIONS_POLICY)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class StatementCountMiddleware:
    """Adds X-SQL-Statements (how many SQL statements the request ran) for the benchmarks in bench/.

    Installed only where SQL_COUNT_HEADER is on (settings.base); it counts, it never records a statement's text.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counted(execute: Callable[..., object], sql: str, params: object, many: bool, context: object) -> object:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            response = self.get_response(request)
        response.headers["X-SQL-Statements"] = str(count)
        return response
