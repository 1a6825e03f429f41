"""`manage.py verify_audit`: prove the access log's and the chronology's hash chains intact, or name the first broken
entry (ADR 0012). Exit status 0 when every chain checked is intact, 1 when one is broken."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from evolve.audit.chain import BATCH, CHAINS, verify_chain


class Command(BaseCommand):
    help = "Check the hash chains of the access log and the chronology; name the first entry that does not fit."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--table", choices=sorted(CHAINS), help="Check only this chain (default: both).")
        parser.add_argument("--batch", type=int, default=BATCH, help="Rows read at a time (default %(default)s).")

    def handle(self, *args: Any, **options: Any) -> None:
        keys = [options["table"]] if options["table"] else list(CHAINS)
        broken = False
        for key in keys:
            verdict = verify_chain(CHAINS[key], batch=max(1, options["batch"]))
            if verdict.intact:
                self.stdout.write(str(verdict))
            else:
                broken = True
                self.stderr.write(str(verdict))
        if broken:
            raise SystemExit(1)
