"""/healthz reports the database, Redis and a round trip through a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from evolve.health import views
from evolve.health.tasks import ping_task

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def worker() -> Iterator[subprocess.Popen[bytes]]:
    """A real worker process on the test broker (Redis database 1), as `make run` starts one."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "evolve.settings.test"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "evolve",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            "celery",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process
    process.terminate()
    process.wait(timeout=20)


def test_healthy_when_database_redis_and_a_worker_answer(
    client: Client, db: None, worker: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + 30
    while True:
        response = client.get("/healthz")
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    body = response.json()
    assert response.status_code == 200, body
    assert body["healthy"] is True
    assert {name for name, check in body["checks"].items() if check["ok"]} == {"database", "redis", "worker"}


def test_unhealthy_and_says_which_part_when_no_worker_answers(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "WORKER_TIMEOUT_SECONDS", 1.0)
    # A queue no worker listens on stands in for "all workers are down".
    original = ping_task.apply_async

    def unanswered(*args: object, **kwargs: object) -> object:
        return original(*args, queue="nobody-listens-here", **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ping_task, "apply_async", unanswered)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert body["checks"]["worker"] == {"ok": False, "error": "TimeoutError"}


def test_health_needs_no_sign_in_and_shows_no_data(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert set(response.json()) == {"healthy", "checks"}
