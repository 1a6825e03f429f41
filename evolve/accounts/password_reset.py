"""Resetting a forgotten password by email, without telling anyone which addresses have accounts.

Whoever asks gets the same answer, whether or not the address belongs to an account and whether or not the request
is refused for asking too often: "if there is an account, we have sent a link". The email goes from a Celery task
after the request has answered, so the answer takes no longer when there is an account to email.

Asking is limited to settings.PASSWORD_RESET_LIMIT_PER_HOUR times an hour from one address and for one email
address, counted in the cache (Redis) under hashes, not the addresses themselves; a request over either limit sends
nothing.

The link holds no user id: a random key, kept in the cache for RESET_LINK_SECONDS and pointing at the account, and
Django's password reset token (which stops working once the password changes). A new password does not sign anyone
in: signing in still takes the password and the second factor, and only an account that has one set up gets a link.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.urls import reverse

from evolve.accounts.models import User
from evolve.accounts.services import user_has_second_factor
from evolve.jobs import send_after_commit

logger = logging.getLogger(__name__)

RESET_LINK_SECONDS = 60 * 60
COUNT_SECONDS = 60 * 60
_LINK_KEY = "password-reset:link:{}"
_COUNT_KEY = "password-reset:count:{}:{}"


def _hashed(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _counted(kind: str, value: str) -> int:
    """Add one to this hour's count for `value` and return it. The hour starts at the first request."""
    key = _COUNT_KEY.format(kind, _hashed(value))
    cache.add(key, 0, timeout=COUNT_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # the count ran out between add and incr: a new hour
        cache.set(key, 1, timeout=COUNT_SECONDS)
        return 1


def password_reset_allowed(*, email: str, address: str) -> bool:
    """Count this request against the address it came from and the email address asked about; False once either
    has asked more than PASSWORD_RESET_LIMIT_PER_HOUR times this hour."""
    limit = settings.PASSWORD_RESET_LIMIT_PER_HOUR
    by_address = _counted("address", address or "unknown")
    by_account = _counted("account", email.strip().lower())
    return by_address <= limit and by_account <= limit


def password_reset_accounts(*, email: str) -> list[User]:
    """The active accounts with this email address (any case), a password to reset and a second factor already set
    up. An account nobody has signed in to yet gets no link: whoever first signs in sets up its second factor, so a
    link would let anyone who reads the mailbox take the account over. Its user asks their administrator."""
    users = User.objects.filter(email__iexact=email.strip(), is_active=True).order_by("pk")
    return [user for user in users if user.has_usable_password() and user_has_second_factor(user=user)]


def password_reset_request(*, email: str, address: str) -> None:
    """Someone asked for a reset link for `email` from `address`. Emails a link to each account with that address,
    unless the limit is reached; says nothing either way."""
    if not password_reset_allowed(email=email, address=address):
        logger.warning("Password reset request refused: over %s an hour", settings.PASSWORD_RESET_LIMIT_PER_HOUR)
        return
    from evolve.accounts.tasks import password_reset_email_task

    for user in password_reset_accounts(email=email):
        send_after_commit(password_reset_email_task, user.pk, left_for="the user asking again")


def password_reset_link(*, user: User) -> str:
    """A new link for `user` to set a new password: works once, for RESET_LINK_SECONDS."""
    key = secrets.token_urlsafe(24)
    cache.set(_LINK_KEY.format(key), user.pk, timeout=RESET_LINK_SECONDS)
    token = default_token_generator.make_token(user)
    return f"{settings.SITE_URL}{reverse('accounts:password-reset-confirm', args=[key, token])}"


def password_reset_link_user(*, key: str) -> User | None:
    """The account a reset link's key points at, while the link lasts."""
    user_id = cache.get(_LINK_KEY.format(key))
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def password_reset_link_forget(*, key: str) -> None:
    cache.delete(_LINK_KEY.format(key))
