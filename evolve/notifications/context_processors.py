from typing import Any

from django.http import HttpRequest

from evolve.notifications.selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count in the navigation, for signed-in, verified users only (one small indexed query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {}
    return {"unread_notifications": unread_count(user=user)}
