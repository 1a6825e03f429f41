from typing import Any

from django.http import HttpRequest

from evolve.notifications.selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count in the navigation, for signed-in, verified users only (one small indexed query)."""
    user = getattr(request, "user", None)
    verified = getattr(user, "is_verified", None)  # a token-authenticated API user has no second-factor state
    if user is None or not user.is_authenticated or not (verified and verified()):
        return {}
    return {"unread_notifications": unread_count(user=user)}
