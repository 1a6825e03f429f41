"""`manage.py seed_scale`: the force area's ten years, at a tiny scale, checked for what the full one must hold too:
counts in proportion, intact hash chains, every foreign key pointing at a row, queues holding only the day's work,
and the demo team manager's pages working on it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from evolve.accounts.models import Team, User
from evolve.audit.models import AccessLogEntry
from evolve.cases.models import Case, CaseNote
from evolve.chronology.models import ChronologyEntry
from evolve.clock.models import Deadline
from evolve.clock.services import deadline_due
from evolve.demo.scale.build import Targets
from evolve.demo.scale.load import DAY, HOUR, ts, us_of
from evolve.demo.scale.timeline import Calendar
from evolve.people.models import Child
from mapping.models import Link, MissingEpisode, PersonOfConcern
from referrals.models import Referral
from risk.models import RiskAssessment
from tests.conftest import signed_in
from tests.factories import ChildFactory

SCALE = 0.0004  # 100 children, 400 referrals


pytestmark = [pytest.mark.usefixtures("published_catalogue")]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """seed_demo builds last month's report: its files in each test's own folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


def _dangling_foreign_keys() -> list[str]:
    """Every foreign key in the schema whose value names no row (the load runs with the checks off)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, r.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
            """
        )
        keys = cursor.fetchall()
        broken = []
        for table, column, target, target_column in keys:
            cursor.execute(
                f'SELECT count(*) FROM {table} t WHERE t."{column}" IS NOT NULL AND NOT EXISTS '  # noqa: S608
                f'(SELECT 1 FROM {target} r WHERE r."{target_column}" = t."{column}")'
            )
            (count,) = cursor.fetchone()
            if count:
                broken.append(f"{table}.{column}: {count}")
    return broken


@pytest.mark.django_db(transaction=True)
def test_seed_scale_fills_the_force_area_in_proportion_with_chains_intact_and_pages_working(
    client: Client,
) -> None:
    out = StringIO()
    call_command("seed_scale", scale=SCALE, seed=7, no_vacuum=True, stdout=out)
    printed = out.getvalue()
    assert "access log" in printed and "total:" in printed

    target = Targets.at(SCALE)
    # The bulk on top of seed_demo's few dozen rows of each.
    assert target.children <= Child.objects.count() <= target.children + 80
    # Every team's queues hold a few at each of seven stages, however small the scale.
    assert target.referrals * 0.95 <= Referral.objects.count() <= target.referrals * 1.1 + 12 * 7 * 4
    assert target.cases * 0.7 <= Case.objects.count() <= target.cases + 10
    assert PersonOfConcern.objects.count() >= target.people_of_concern
    assert target.links * 0.9 <= Link.objects.count() <= target.links + 20
    assert MissingEpisode.objects.count() >= target.missing_episodes * 0.3
    assert target.access_log <= AccessLogEntry.objects.count() <= target.access_log * 1.1 + 200
    assert ChronologyEntry.objects.count() > Referral.objects.count()
    assert RiskAssessment.objects.filter(team__name="Evolve").exists()
    assert Team.objects.count() == 12

    assert _dangling_foreign_keys() == []
    verified = StringIO()
    call_command("verify_audit", stdout=verified)  # exits 1 if either chain is broken
    assert verified.getvalue().count("chain intact") == 2

    # The history is decided and closed; only the days' work waits in the queues.
    still_open = Referral.objects.exclude(state__in=["decided", "closed"]).count()
    assert still_open < Referral.objects.count() * 0.5
    assert Deadline.objects.filter(breached_at__isnull=False).count() < Deadline.objects.count() * 0.3
    now = datetime.now(UTC)
    assert not Referral.objects.filter(created_at__gt=now).exists()
    assert not ChronologyEntry.objects.filter(occurred_at__gt=now).exists()
    assert not AccessLogEntry.objects.filter(at__gt=now).exists()

    # Ids go on from the loaded rows: the next row each service writes does not collide.
    assert ChronologyEntry.objects.order_by("-id").values_list("id", flat=True)[0] == _sequence(
        "chronology_chronologyentry"
    )

    tm = User.objects.get(username="tm")
    signed_in(client, tm)
    assert client.get("/cases/review/").status_code == 200
    case = (
        Case.objects.filter(team=tm.team, closed_at__isnull=True, child__restricted_to_agency__isnull=True)
        .order_by("-opened_at")
        .first()
    )
    assert case is not None
    assert CaseNote.objects.filter(case__team=tm.team).exists()
    assert client.get(f"/cases/{case.public_id}/").status_code == 200
    assert client.get(f"/children/{case.child.public_id}/").status_code == 200

    for username, stage in (("spoc", "spoc"), ("triage", "triage"), ("mash", "mash")):
        front_door = Client()
        signed_in(front_door, User.objects.get(username=username))
        assert front_door.get(f"/referrals/queue/{stage}/").status_code == 200, stage

    with pytest.raises(CommandError, match="already holds children"):
        call_command("seed_scale", scale=SCALE, stdout=StringIO())


def _sequence(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value FROM {table}_id_seq")  # noqa: S608
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
def test_seed_scale_is_refused_where_demo_data_is_not_allowed(settings: Any) -> None:
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="DEMO_DATA_ALLOWED"):
        call_command("seed_scale", scale=SCALE, stdout=StringIO())


@pytest.mark.django_db
def test_seed_scale_is_refused_on_a_database_with_children() -> None:
    ChildFactory.create()
    with pytest.raises(CommandError, match="already holds children"):
        call_command("seed_scale", scale=SCALE, stdout=StringIO())
    assert Child.objects.count() == 1


def test_working_day_clocks_match_the_clock_services() -> None:
    """The seed's own working-day arithmetic gives the due times evolve.clock would, bank holidays and clock changes
    included, for steps in office hours."""
    calendar, rng = Calendar(), random.Random(3)
    start = us_of(datetime(2016, 1, 1, tzinfo=UTC))
    for _ in range(300):
        moment = calendar.in_hours(start + rng.randrange(10 * 365) * DAY + rng.randrange(24) * HOUR, rng)
        for days in (3, 5, 10):
            expected = deadline_due(unit="working_days", amount=days, started_at=datetime.fromisoformat(ts(moment)))
            assert ts(calendar.add_working_days(moment, days)) == ts(us_of(expected)), (ts(moment), days)


def test_office_hours_back_from_a_monday_morning_skip_the_weekend() -> None:
    """The queues' top-ups are dated so many office hours back from the last office moment: from 08:30 on a Monday,
    two hours back is Friday afternoon, not Sunday night (counted on the clock, the Monday morning seed's top-ups began
    at the weekend, their steps fell after now, and the front door's queue piled up: CI found it on a Monday)."""
    calendar = Calendar()
    monday = us_of(datetime(2026, 11, 23, 8, 30, tzinfo=UTC))
    assert ts(calendar.before_in_hours(monday, 0.5)) == ts(us_of(datetime(2026, 11, 23, 8, 0, tzinfo=UTC)))
    assert ts(calendar.before_in_hours(monday, 2)) == ts(us_of(datetime(2026, 11, 20, 16, 30, tzinfo=UTC)))
    # Half an hour on Monday, all of Friday's ten, the last half hour of Thursday's.
    assert ts(calendar.before_in_hours(monday, 11)) == ts(us_of(datetime(2026, 11, 19, 17, 30, tzinfo=UTC)))


def test_a_timestamp_is_written_as_the_chain_writes_it() -> None:
    moment = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)
    assert ts(us_of(moment)) == "2026-03-29T00:59:59.123456Z"
    assert datetime.fromisoformat(ts(us_of(moment))) == moment
    assert ts(us_of(moment + timedelta(microseconds=1))).endswith(".123457Z")
