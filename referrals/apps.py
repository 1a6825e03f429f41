from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        # Registers the referral's access policy with the gate.
        from referrals import permissions  # noqa: F401
