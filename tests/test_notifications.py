"""In-app notifications: counted in the navigation, listed newest first, marked read once seen, never another's."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from evolve.accounts.models import User
from evolve.notifications.models import Notification
from evolve.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_new_notifications_are_counted_then_read(
    sign_in: Callable[[User], Client], team_manager: User, social_worker: User
) -> None:
    notify(users=[team_manager], subject="New referral co-allocated to Evolve", body="Open it.", url="/", email=False)
    notify(users=[social_worker], subject="Someone else's", body="Not yours.", email=False)
    client = sign_in(team_manager)
    home = client.get("/").content.decode()
    assert '1<span class="govuk-visually-hidden"> new</span>' in home
    page = client.get(reverse("notifications:notification-list")).content.decode()
    assert "New referral co-allocated to Evolve" in page and "Someone else&#x27;s" not in page
    assert Notification.objects.get(user=team_manager).read_at is not None
    assert '<span class="govuk-visually-hidden"> new</span>' not in client.get("/").content.decode()


def test_a_broker_outage_loses_no_email_the_sweep_sends_it_later(
    team_manager: User, django_capture_on_commit_callbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change and its notification row commit without the broker; the email waits in the outbox.

    Publishing is made to fail as kombu does when Redis refuses the connection; stopping the real Redis under the
    whole suite is the reliability issue's test (issue 10)."""
    from datetime import timedelta

    import time_machine
    from django.core import mail
    from kombu.exceptions import OperationalError

    from evolve.notifications.tasks import notification_email_sweep_task, notification_email_task

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    team_manager.email = "tm@evolve.invalid"
    team_manager.save()
    monkeypatch.setattr(notification_email_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = notify(users=[team_manager], subject="New referral co-allocated", body="Open it.")
    notification.refresh_from_db()
    assert notification.emailed_at is None and mail.outbox == []
    with time_machine.travel(timedelta(minutes=2)):
        assert notification_email_sweep_task() == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert [message.to for message in mail.outbox] == [["tm@evolve.invalid"]]
    assert notification_email_sweep_task() == 0, "sent once, never twice"
