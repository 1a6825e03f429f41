from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evolve.demo.data import DEMO_BACKUP_CODES, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the synthetic demo data (agencies, a user for every role, children) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is switched off here (DEMO_DATA_ALLOWED). It must never reach production.")
        users = seed_demo()
        codes = ", ".join(DEMO_BACKUP_CODES)
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        self.stdout.write(
            f"Second factor: any one of the backup codes {codes} (each works once per user; renewed by make run)\n"
        )
        for user in users:
            roles = ", ".join(role.label for role in user.roles)
            self.stdout.write(f"  {user.username:<16} {user.agency:<11} {roles}")
