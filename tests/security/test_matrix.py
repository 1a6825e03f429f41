"""The permission matrix (issue 8), walked with real requests: every URL name in the project, asked for by a user of
every role (signed in past both factors) and by someone signed out, about an object of each kind the URL takes, gets
what tests/security/matrix.py says. A URL name with no row there fails the suite, so a new page cannot ship
unchecked. And no URL in the project takes a POST without a CSRF token, pages and API alike."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import signed_in
from tests.security.conftest import World
from tests.security.matrix import (
    KINDS,
    LOGIN,
    METHOD,
    OK,
    PLACEHOLDERS,
    REFUSED,
    ROLES,
    SIGNED_OUT,
    TABLE,
    TEAM_MANAGER,
    Row,
)

pytestmark = pytest.mark.django_db

REDIRECTS = (301, 302, 303, 307, 308)
SIGN_IN_PAGES = ("/accounts/login/", "/admin/login/")


def _url_names(resolver: URLResolver, namespace: str = "") -> list[str]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names.extend(_url_names(pattern, inner))
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


def _outcome(response: HttpResponseBase) -> str:
    status = response.status_code
    if 200 <= status < 300:
        return OK
    if status in REDIRECTS:
        return LOGIN if response["Location"].startswith(SIGN_IN_PAGES) else OK
    if status in (403, 404):
        return REFUSED
    if status == 405:
        return METHOD
    return f"a {status}"


def _kinds(row: Row) -> dict[str, tuple[str | int, ...]]:
    """The object kinds the row is asked about, each with its arguments ("" when it takes no object)."""
    if not isinstance(row.args, tuple):
        return dict(row.args)
    named = [arg for arg in (*row.args, *row.query.values()) if isinstance(arg, str) and arg in PLACEHOLDERS]
    if not named:
        return {"": row.args}
    return dict.fromkeys(KINDS[named[-1]], row.args)


def _urls(name: str, row: Row, world: World) -> dict[str, str]:
    def value(arg: str | int, kind: str) -> str | int:
        return world.ids[kind][arg] if isinstance(arg, str) and arg in PLACEHOLDERS else arg

    built = {}
    for kind, args in _kinds(row).items():
        url = reverse(name, args=[value(arg, kind) for arg in args])
        if row.query:
            url += "?" + urlencode({key: value(arg, kind) for key, arg in row.query.items()})
        built[kind] = url
    return built


def _expected(row: Row, url: str, role: str, kind: str) -> str:
    if row.public:
        return OK
    if role == SIGNED_OUT:
        # Pages send a stranger to sign in; the API answers for itself (evolve.accounts.middleware).
        api = url.startswith("/api/") and not url.startswith("/api/docs/")
        return REFUSED if api else LOGIN
    if role in row.special:
        return row.special[role]
    if row.method:
        return METHOD
    allowed = row.ok if isinstance(row.ok, frozenset) else row.ok[kind]
    return OK if role in allowed else row.others


def _known_wrong(row: Row, role: str, kind: str) -> str | None:
    return row.wrong.get(f"{role}@{kind}") or row.wrong.get(role)


def _params() -> Iterator[object]:
    for name, row in TABLE.items():
        yield pytest.param(name, None, id=name)
        for cell, why in row.wrong.items():
            yield pytest.param(name, cell, id=f"{name}[{cell}]", marks=pytest.mark.xfail(strict=True, reason=why))


@pytest.fixture
def healthz_without_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """/healthz waits five seconds for a Celery worker there is none of here (tests/health tests that round trip):
    the matrix asks only who may ask."""
    from evolve.health import views as health

    monkeypatch.setattr(health, "CHECKS", {"database": health._database, "redis": health._redis})


# The table itself ----------------------------------------------------------------------------------------------------


def test_every_url_name_in_the_project_has_a_row() -> None:
    names = set(_url_names(get_resolver()))
    unlisted = sorted(names - set(TABLE))
    assert unlisted == [], f"URL names with no row in tests/security/matrix.py (add one for each): {unlisted}"
    gone = sorted(set(TABLE) - names)
    assert gone == [], f"Rows in tests/security/matrix.py for URL names that no longer exist: {gone}"


@pytest.mark.parametrize("name", list(TABLE))
def test_each_row_names_every_object_kind_it_is_asked_about_and_only_known_roles(name: str) -> None:
    row = TABLE[name]
    kinds = set(_kinds(row))
    if not isinstance(row.ok, frozenset):
        assert set(row.ok) == kinds, f"{name}: the roles are given for {sorted(row.ok)}, it is asked about {kinds}"
        sets = list(row.ok.values())
    else:
        sets = [row.ok]
    assert all(roles <= set(ROLES) for roles in sets)
    for cell in row.wrong:
        role, _, kind = cell.partition("@")
        assert role in ROLES and (not kind or kind in kinds), f"{name}: no such cell {cell}"
    assert not (row.method and row.ok), f"{name}: a POST-only row names no one it is ok for"


# The walk ------------------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("healthz_without_a_worker")
@pytest.mark.parametrize(("name", "cell"), list(_params()))
def test_each_role_gets_what_the_matrix_says(world: World, name: str, cell: str | None) -> None:
    """`cell` None: every cell of the row except those known to be wrong today; otherwise that cell alone (marked
    xfail: it passes once the app is fixed, and then the `wrong` entry must go)."""
    row = TABLE[name]
    only_role, _, only_kind = (cell or "").partition("@")
    wrong = []
    for kind, url in _urls(name, row, world).items():
        if only_kind and kind != only_kind:
            continue
        for role in [only_role] if only_role else ROLES:
            if cell is None and _known_wrong(row, role, kind):
                continue
            got = _outcome(world.clients[role].get(url))
            want = _expected(row, url, role, kind)
            if got != want:
                wrong.append(f"{role}, {kind or 'no object'} ({url}): {got}, the matrix says {want}")
    assert wrong == [], f"{name}:\n" + "\n".join(wrong)


# CSRF ----------------------------------------------------------------------------------------------------------------


def _writes() -> int:
    """Rows inserted, updated or deleted in this transaction so far, except the session's own (saved on every
    request, refused or not)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
            " WHERE relname <> 'django_session'"
        )
        (count,) = cursor.fetchone()
    return int(count)


@pytest.mark.usefixtures("healthz_without_a_worker")
def test_a_post_without_a_csrf_token_is_refused_everywhere_and_changes_nothing(world: World) -> None:
    """The team manager (who may take most steps) posts to every URL in the project without the token, with the
    data a step would need: each is refused with a 403 before anything is written, the API's session-signed-in
    requests included. (Token-authenticated API clients send no cookie, so need no CSRF token.)"""
    client = signed_in(Client(enforce_csrf_checks=True), world.users[TEAM_MANAGER])
    data = {"version": "1", "text": "A note.", "reason": "Because.", "action": "send", "name": "Someone"}
    not_refused = []
    before = _writes()
    for name, row in TABLE.items():
        url = next(iter(_urls(name, row, world).values()))
        response = client.post(url, data)
        if response.status_code != 403:
            not_refused.append(f"{name} ({url}): {response.status_code}")
    assert not_refused == []
    assert _writes() == before
