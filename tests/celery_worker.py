"""A real Celery worker for tests about the worker and the broker: another process, reading the test's database (so
such tests commit, `transaction=True`), taking its tasks from a Redis database of its own (or a Redis server of the
test's own), so a developer's running worker cannot take them and nothing is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from evolve.celery import app

DEADLINE = 60.0  # seconds, for anything the worker is waited for
CLAIM = "evolve-worker-test"  # marks a Redis database as a test's while it runs
T = TypeVar("T")


@dataclass
class Worker:
    broker_url: str
    broker: redis.Redis
    log: Path
    env: dict[str, str]
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    runs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # our own command line
                self.command,
                cwd=django_settings.BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.runs.append(self.process)
        starts = len(self.runs)
        self.wait_for(lambda: self.output().count(" ready.") >= starts, "the worker to start")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, no clean-up; the task it held is left unacknowledged."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def idle(self) -> bool:
        """Nothing waiting in the queue and nothing taken but not finished (tasks are acknowledged once done)."""
        return self.broker.llen("celery") == 0 and self.broker.hlen("unacked") == 0

    def wait_for(self, found: Callable[[], T | None], what: str, deadline: float = DEADLINE) -> T:
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            if self.process is not None and self.process.poll() is not None:
                pytest.fail(f"The worker stopped (exit {self.process.returncode}) waiting for {what}:\n{self.output()}")
            result = found()
            if result:
                return result
            time.sleep(0.1)
        pytest.fail(f"Waited {deadline:.0f}s for {what}. The worker said:\n{self.output()}")


def claim_redis_database() -> tuple[str, redis.Redis]:
    """An empty Redis database, marked as this test's (so two runs at once do not share one)."""
    base = urlsplit(django_settings.REDIS_URL)
    for number in range(15, 1, -1):
        url = base._replace(path=f"/{number}").geturl()
        client = redis.Redis.from_url(url)
        if client.set(CLAIM, os.getpid(), nx=True, ex=900):
            if client.dbsize() == 1:
                return url, client
            client.delete(CLAIM)
    pytest.fail("No empty Redis database for the worker's queue")


def database_url(db: dict[str, Any]) -> str:
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or ''}{port}/{db['NAME']}"


def use_broker(url: str) -> None:
    """Send this process's tasks to `url`. The app keeps its broker pools once made, so they are dropped here and the
    next task sent makes new ones (kombu keeps one pool per broker address, so the old ones are there to go back to)."""
    app.conf.update(broker_url=url)
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


def _no_connection_left() -> None:
    """The worker holds no connection to the test database once stopped, so it can be flushed and dropped."""
    with connection.cursor() as cursor:
        deadline = time.monotonic() + 10
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            (others,) = cursor.fetchone() or (0,)
            if not others or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert others == 0, "The worker left a connection to the test database"


@contextmanager
def celery_worker(
    tmp_path: Path,
    *,
    env: dict[str, str] | None = None,
    broker: tuple[str, redis.Redis] | None = None,
    start: bool = True,
) -> Iterator[Worker]:
    """A worker on the test's database and its own broker (a claimed Redis database unless `broker` is given), with
    this process's tasks sent there too. Its files go in `tmp_path` (settings.test keeps them under TMPDIR)."""
    broker_url, client = broker or claim_redis_database()
    worker_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "evolve.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "TMPDIR": str(tmp_path),
        **(env or {}),
    }
    command = [
        str(Path(sys.executable).with_name("celery")),
        "--app=evolve",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=info",
        f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
    ]
    worker = Worker(broker_url=broker_url, broker=client, log=tmp_path / "worker.log", env=worker_env, command=command)
    previous_broker = app.conf.broker_url
    use_broker(broker_url)
    try:
        if start:
            worker.start()
        yield worker
    finally:
        use_broker(previous_broker)
        worker.stop()
        sys.stdout.write(worker.output())  # pytest shows it when the test fails
        with suppress(redis.RedisError):  # a Redis of the test's own may already be stopped
            client.flushdb()  # the queue's keys and the claim: the database was empty when claimed
        _no_connection_left()
