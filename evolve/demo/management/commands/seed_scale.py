from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evolve.demo.scale import AlreadySeeded, seed_scale


class Command(BaseCommand):
    help = (
        "Fill an empty, migrated database with a synthetic police-force area over ten years (seed_demo first, then "
        "the bulk by COPY). --scale 1.0 is 250,000 children and 1,000,000 referrals; 0.004 is about 1,000 children."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="1.0: the full force area (default)")
        parser.add_argument("--seed", type=int, default=2026, help="the same seed makes the same data")
        parser.add_argument("--no-vacuum", action="store_true", help="ANALYZE only at the end, not VACUUM ANALYZE")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is switched off here (DEMO_DATA_ALLOWED). It must never reach production.")
        scale = options["scale"]
        if not 0 < scale <= 4:
            raise CommandError("--scale must be more than 0 and at most 4")
        try:
            seed_scale(
                scale=scale,
                seed=options["seed"],
                say=self._say,
                vacuum=not options["no_vacuum"],
            )
        except AlreadySeeded as refused:
            raise CommandError(str(refused)) from None

    def _say(self, line: str) -> None:
        """Progress as it happens, even into a file or a pipe."""
        self.stdout.write(line)
        self.stdout.flush()
