"""ACCEPTANCE (issue 10): a broker outage loses nothing. With Redis stopped (the broker and the cache both), a
teacher sends an urgent referral through the real page: it is saved, and the SPOC's notification waits in the
outbox. When Redis is back, the sweep that beat sends every minute has a real worker email it, once.

Redis here is a server of the test's own, started and stopped by the test, so the machine's Redis (and whatever else
uses it) is never disturbed.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.test import Client
from django.urls import reverse

from evolve.accounts.models import User
from evolve.celery import app
from evolve.notifications.models import Notification
from referrals.models import Referral
from tests.celery_worker import celery_worker
from tests.referrals.test_pages import FORM as REFERRAL_FORM

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("published_catalogue")]

SWEEP = "evolve.notifications.notification_email_sweep_task"


class RedisServer:
    """A redis-server process on a port of its own, keeping nothing on disk."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path, settings: Any) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    # The cache is on Redis too: with Redis down, a page must not depend on it to save.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}}
    yield server
    server.stop()


FORM = {**REFERRAL_FORM, "urgency": "urgent"}


def test_a_referral_sent_while_redis_is_down_is_saved_and_its_email_goes_once_redis_is_back(
    own_redis: RedisServer,
    tmp_path: Path,
    people: dict[str, User],
    sign_in: Callable[[User], Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    spoc = people["spoc"]
    spoc.email = "spoc@evolve.invalid"
    spoc.save()
    client = sign_in(people["teacher"])
    broker = (own_redis.url, redis.Redis.from_url(own_redis.url))
    env = {"NOTIFICATION_OUTBOX_GRACE_SECONDS": "0"}
    with celery_worker(tmp_path, env=env, broker=broker, start=False) as worker:
        own_redis.stop()

        client.post(reverse("referrals:referral-start"))
        referral = Referral.objects.latest("created_at")
        edit = reverse("referrals:referral-edit", args=[referral.public_id])
        with caplog.at_level(logging.WARNING, logger="evolve.jobs"):
            sent = client.post(edit, {**FORM, "version": str(referral.version), "action": "send"})

        assert sent.status_code == 302, sent.content.decode()[:2000]
        referral.refresh_from_db()
        assert referral.state == "submitted" and referral.urgency == "urgent"
        (waiting,) = Notification.objects.filter(user=spoc, email_wanted=True)
        assert waiting.emailed_at is None
        assert "left for the notification outbox sweep: broker unavailable" in caplog.text

        own_redis.start()
        worker.start()
        app.send_task(SWEEP)  # what beat sends every minute

        def emailed() -> Notification | None:
            return Notification.objects.filter(pk=waiting.pk, emailed_at__isnull=False).first()

        worker.wait_for(emailed, "the outbox sweep to email the SPOC")
        app.send_task(SWEEP)
        worker.wait_for(lambda: worker.output().count(f"Task {SWEEP}") >= 4 and worker.idle(), "a second sweep")
        sweeps = [line for line in worker.output().splitlines() if SWEEP in line and "succeeded" in line]
        assert [line.rsplit(": ", 1)[-1] for line in sweeps] == ["1", "0"], "emailed once, never twice"
