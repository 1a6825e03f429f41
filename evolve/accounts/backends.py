"""Signing in with a password: Django's own backend, reading the signed-in user with their agency and team."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from evolve.accounts.models import User


class UserBackend(ModelBackend):
    """Django's ModelBackend, except that each request's user comes with their agency and team in the same query:
    every page shows the agency in its header and the gate reads the team, which were a query each on every page."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("agency", "team").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
