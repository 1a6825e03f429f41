"""Reading users."""

from __future__ import annotations

from evolve.accounts.models import User


def user_get_active_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username.strip(), is_active=True).select_related("agency").first()
