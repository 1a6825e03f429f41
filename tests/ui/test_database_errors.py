"""Which database errors are 'the database cannot be reached' (503, nothing was saved) and which are a fault (500):
a deadlock or a cancelled statement came from a database that answered, and may follow a committed step."""

from __future__ import annotations

import psycopg
import psycopg.errors
import pytest
from django.db import InterfaceError, OperationalError

from evolve.ui.views import database_unreachable


def _django(cause: Exception) -> OperationalError:
    error = OperationalError(str(cause))
    error.__cause__ = cause  # as Django's DatabaseErrorWrapper raises it
    return error


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.OperationalError("connection failed: Connection refused"),  # no SQLSTATE: never reached the server
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.errors.CannotConnectNow("the database system is starting up"),
        psycopg.errors.TooManyConnections("sorry, too many clients already"),
    ],
)
def test_a_lost_or_refused_connection_is_unreachable(cause: Exception) -> None:
    assert database_unreachable(_django(cause))


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
        psycopg.errors.LockNotAvailable("could not obtain lock"),
    ],
)
def test_a_database_that_answered_with_an_error_is_a_fault_not_unreachable(cause: Exception) -> None:
    assert not database_unreachable(_django(cause))


def test_an_unusable_connection_and_other_errors() -> None:
    assert database_unreachable(InterfaceError("connection already closed"))
    assert not database_unreachable(ValueError("not a database error"))
    assert not database_unreachable(None)
