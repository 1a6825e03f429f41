"""`manage.py seed_scale`: a police-force area's ten years of work, synthetic, for measuring the service at scale.

seed_demo comes first (the agencies, the demo team and the demo logins); then twelve local-authority teams with their
people (evolve.demo.scale.world); then the bulk (evolve.demo.scale.build), loaded in one transaction by COPY
(evolve.demo.scale.load). At `scale` 1.0 that is the issue's numbers: 250,000 children, 1,000,000 contacts and
referrals, 20,000 cases, 50,000 people of concern, 100,000 locations and vehicles, 500,000 links, 20,000 missing
episodes and 5,000,000 access-log rows; 0.004 is about 1,000 children.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from evolve.demo.data import seed_demo
from evolve.demo.scale.build import ID_TABLES, Builder, Targets
from evolve.demo.scale.load import Loader, us_of
from evolve.demo.scale.world import build_areas
from evolve.people.models import Child
from risk.selectors import catalogue_current, catalogue_indicators


class AlreadySeeded(Exception):
    """The database holds children already: the scale data set is for an empty, migrated database."""


@dataclass(frozen=True)
class Timing:
    step: str
    seconds: float


def connect_params() -> dict[str, object]:
    """The default database's connection settings, for a connection of the load's own."""
    settings = connection.settings_dict
    params: dict[str, object] = {
        "dbname": settings["NAME"],
        "user": settings.get("USER") or None,
        "password": settings.get("PASSWORD") or None,
        "host": settings.get("HOST") or None,
        "port": settings.get("PORT") or None,
    }
    return {key: value for key, value in params.items() if value is not None}


def seed_scale(*, scale: float, seed: int, say: Callable[[str], None], vacuum: bool = True) -> list[Timing]:
    """Fill an empty, migrated database. Returns how long each step took."""
    if Child.objects.exists():
        raise AlreadySeeded("The database already holds children: seed_scale is for an empty, migrated database")
    timings: list[Timing] = []
    began = time.monotonic()

    def timed(step: str, started: float) -> None:
        timings.append(Timing(step, time.monotonic() - started))
        say(f"{step}: {timings[-1].seconds:.1f}s")

    started = time.monotonic()
    seed_demo()
    timed("seed_demo (agencies, the demo team and logins)", started)

    targets = Targets.at(scale)
    rng = random.Random(seed)
    started = time.monotonic()
    areas = build_areas(rng=rng, referrers_per_area=targets.referrers_per_area)
    timed(f"areas: {len(areas)} teams and their people", started)

    version = catalogue_current()
    indicators = [
        (indicator.pk, indicator.code, indicator.is_high_risk)
        for category in catalogue_indicators(version=version)
        for indicator in category.indicators
    ]
    permission = Permission.objects.get(codename="view_child_record", content_type__app_label="people")
    connection.close()  # the load takes locks the ORM's connection must not be waiting on

    loader = Loader(connect=connect_params(), say=say)
    try:
        loader.begin()
        loader.reserve_ids(ID_TABLES)
        builder = Builder(
            loader=loader,
            areas=areas,
            targets=targets,
            rng=rng,
            now=us_of(timezone.now()),
            indicators=indicators,
            catalogue_version=version.pk,
            view_permission=permission.pk,
            say=say,
        )
        loader.start()

        def phase(step: str, work: Callable[[], object]) -> None:
            started = time.monotonic()
            result = work()
            loader.flush_all()
            timed(step + (f" ({result})" if result is not None else ""), started)

        phase("plan", builder.plan)
        phase("mapping records", builder.mapping_records)
        phase(
            "children, referrals, cases, meetings' items, links to children, missing episodes",
            lambda: builder.children_pass(lambda done: say(f"  {done} children")),
        )
        phase("queues' daily work", lambda: f"{builder.top_ups()} referrals")
        phase("links between people, places and vehicles", builder.other_links)
        phase("meetings and attendance", builder.meetings_out)
        phase("grants", builder.grants_out)
        phase("access log", lambda: "{} rows, {} of them page views".format(*builder.access_out()))
        started = time.monotonic()
        loader.finish()
        timed("indexes, sequences and commit", started)
    finally:
        loader.close()

    say("\nRows and COPY time per table:")
    for table in sorted(loader.copied_rows, key=lambda name: -loader.copy_seconds[name]):
        say(f"  {table:<40} {loader.copied_rows[table]:>10,} rows {loader.copy_seconds[table]:>8.1f}s")

    started = time.monotonic()
    with psycopg.connect(**connect_params(), autocommit=True) as maintenance:  # type: ignore[arg-type]
        maintenance.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
    timed("VACUUM ANALYZE" if vacuum else "ANALYZE", started)
    timings.append(Timing("total", time.monotonic() - began))
    say(f"total: {timings[-1].seconds:.1f}s")
    return timings
