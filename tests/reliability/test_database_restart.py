"""ACCEPTANCE (issue 10): the app survives a PostgreSQL restart without being restarted itself. The app here is a real
gunicorn process on the test's database, holding persistent connections (CONN_MAX_AGE) as production does. While the
database is down a request gets a clear 503 page (JSON for the API) and nothing is half-saved; once it is back, the
same gunicorn, never restarted, reconnects and the same request succeeds.

This stops and starts the machine's own PostgreSQL (`pg_ctlcluster`), as an operator's restart or a fail-over does,
and always starts it again, whatever the test found.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from evolve.accounts.models import User
from referrals.models import Referral
from tests.celery_worker import database_url
from tests.conftest import signed_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("published_catalogue")]


def _cluster() -> list[str]:
    versions = sorted(Path("/etc/postgresql").iterdir()) if Path("/etc/postgresql").exists() else []
    if not versions:
        pytest.skip("No local PostgreSQL cluster to restart (pg_ctlcluster manages /etc/postgresql)")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].name, "main"]


def _accepting() -> bool:
    params = connection.get_connection_params()
    try:
        with psycopg.connect(
            host=params.get("host") or "127.0.0.1",
            port=params.get("port") or 5432,
            user=params.get("user"),
            dbname="postgres",
            connect_timeout=2,
        ):
            return True
    except psycopg.OperationalError:
        return False


def _start_database() -> None:
    subprocess.run([*_cluster(), "start"], check=False, capture_output=True)
    deadline = time.monotonic() + 60
    while not _accepting():
        assert time.monotonic() < deadline, "PostgreSQL did not come back"
        time.sleep(0.2)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class App:
    """A gunicorn serving the app, and a browser's cookies for it (signed in, with a CSRF token)."""

    url: str
    opener: urllib.request.OpenerDirector
    csrf: str
    process: subprocess.Popen[bytes]

    def request(self, path: str, data: dict[str, str] | None = None) -> Response:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310  # our own http:// address
            self.url + path, data=body, headers={"X-CSRFToken": self.csrf}
        )
        try:
            with self.opener.open(request, timeout=30) as answer:
                return Response(answer.status, dict(answer.headers), answer.read().decode())
        except urllib.error.HTTPError as refused:
            return Response(refused.code, dict(refused.headers), refused.read().decode())


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 302 is the answer itself


@pytest.fixture
def app(people: dict[str, User], tmp_path: Path) -> Iterator[App]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "evolve.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "DATABASE_CONN_MAX_AGE": "60",  # persistent connections, as in production
        "TMPDIR": str(tmp_path),
    }
    command = [str(Path(sys.executable).with_name("gunicorn")), "evolve.wsgi", "--bind", f"127.0.0.1:{port}"]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=django_settings.BASE_DIR, env=env, stdout=out, stderr=out)
    jar = http.cookiejar.CookieJar()
    session = signed_in(Client(), people["teacher"]).cookies[django_settings.SESSION_COOKIE_NAME].value
    csrf = secrets.token_hex(16)  # 32 characters: a token Django accepts when the cookie and the header agree
    for name, value in ((django_settings.SESSION_COOKIE_NAME, session), (django_settings.CSRF_COOKIE_NAME, csrf)):
        jar.set_cookie(
            http.cookiejar.Cookie(
                0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None, True, None, None, {}
            )
        )
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    running = App(url=f"http://127.0.0.1:{port}", opener=opener, csrf=csrf, process=process)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)
        sys.stdout.write(log.read_text(errors="replace"))


def test_a_database_restart_gives_a_clear_error_saves_nothing_and_the_app_reconnects(app: App) -> None:
    start = reverse("referrals:referral-start")
    assert app.request(reverse("referrals:referral-list")).status == 200
    assert not Referral.objects.exists()

    connection.close()  # the test's own connection: the restart ends it
    subprocess.run([*_cluster(), "stop", "-m", "fast"], check=True, capture_output=True)
    try:
        refused = app.request(start, {})
        api = app.request(reverse("api-referral-list"))
    finally:
        _start_database()

    assert refused.status == 503 and refused.headers["Retry-After"] == "30"
    assert "Sorry, the service is unavailable" in refused.body and "Nothing you sent was saved" in refused.body
    assert 'app-header__service-name">Evolve</a>' in refused.body  # the page in the house style, without the database
    assert api.status == 503 and "cannot reach its database" in json.loads(api.body)["detail"]

    # The same gunicorn, never restarted, reconnects: the page opens and the same request now saves, once.
    assert app.request(reverse("referrals:referral-list")).status == 200
    made = app.request(start, {})
    assert made.status == 302
    assert Referral.objects.count() == 1, "the refused attempt left nothing behind"
    assert app.process.poll() is None, "gunicorn was never restarted"
