"""Second-factor devices: the authenticator app (TOTP) and single-use backup codes."""

from __future__ import annotations

import secrets

from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from evolve.accounts.models import User

BACKUP_CODE_COUNT = 10


def user_has_second_factor(*, user: User) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def second_factor_match(*, user: User, code: str) -> Device | None:
    """The confirmed device that accepts `code` (a TOTP code or an unused backup code), or None."""
    return match_token(user, code)


def authenticator_pending_get_or_create(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up, kept across page loads so the QR code stays the same."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def authenticator_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the new authenticator if `code` is right; returns a fresh set of backup codes, shown once."""
    if not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return backup_codes_replace(user=device.user)


@transaction.atomic
def backup_codes_replace(*, user: User, codes: list[str] | None = None) -> list[str]:
    """Replace the user's backup codes. Each works once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = codes or [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes
