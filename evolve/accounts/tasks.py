from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string

from evolve.accounts.models import User
from evolve.accounts.password_reset import RESET_LINK_SECONDS, password_reset_accounts, password_reset_link


@shared_task(
    name="evolve.accounts.password_reset_email_task",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def password_reset_email_task(user_id: int) -> bool:
    """Email a password reset link to the account (made here, so no link or token passes through the broker).
    Nothing is sent if the account has since been deactivated or lost its email address."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email or user not in password_reset_accounts(email=user.email):
        return False
    context = {"user": user, "link": password_reset_link(user=user), "minutes": RESET_LINK_SECONDS // 60}
    send_mail(
        subject="Reset your Evolve password",
        message=render_to_string("accounts/password_reset_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True
