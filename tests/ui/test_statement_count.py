"""The benchmarks' statement count header: present only where SQL_COUNT_HEADER switches it on, and exact."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_no_header_unless_switched_on(client: Client) -> None:
    response = signed_in(client, UserFactory.create()).get("/")
    assert response.status_code == 200
    assert "X-SQL-Statements" not in response.headers


def test_the_header_counts_every_statement_the_request_ran(client: Client, settings: Any) -> None:
    settings.MIDDLEWARE = ["evolve.ui.middleware.StatementCountMiddleware", *settings.MIDDLEWARE]
    signed_in(client, UserFactory.create())
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert int(response.headers["X-SQL-Statements"]) == len(queries) > 0
