"""The user's notifications: newest first; opening the page marks them read."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from evolve.accounts.models import User
from evolve.notifications.selectors import notifications_for_user
from evolve.notifications.services import notifications_mark_read


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    page = Paginator(notifications_for_user(user=user), 25).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    response = render(request, "notifications/notification_list.html", {"page": page, "notifications": shown})
    notifications_mark_read(user=user, ids=[notification.pk for notification in shown])
    return response
