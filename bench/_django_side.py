"""The parts of the benchmark that need Django itself, run by bench/run.py as a subprocess against the database under
test (DATABASE_URL), so the load generator's own process stays small and never holds a connection open:

    prepare   backup codes for the bench's sign-ins, and the real records each page is measured on
    counts    the row counts of the main tables
    report    the monthly report (figures, PDF and CSV) built in-process, timed
    codes     backup codes only (bench/soak.py, on its own database)
    soak      every step bench/soak.py's pages confirmed, looked for in the database

Each command prints one JSON document on stdout. Nothing here prints a child's name: targets are ids.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evolve.settings.production")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken  # noqa: E402

from evolve.access import gate  # noqa: E402
from evolve.accounts.models import User  # noqa: E402
from evolve.cases.models import Case  # noqa: E402
from evolve.people.models import Child  # noqa: E402
from referrals.models import Referral  # noqa: E402
from referrals.selectors import QUEUE_STATES  # noqa: E402

BENCH_DEVICE = "Benchmark sign-in"  # a device of its own, so the users' own backup codes are left alone


def backup_codes(*, usernames: list[str], count: int) -> dict[str, list[str]]:
    """`count` single-use codes for each user, for the bench to type at /accounts/two-factor/ as a person would. Each
    works once, so a run never leaves a usable code behind once every sign-in has spent its own."""
    codes: dict[str, list[str]] = {}
    for username in usernames:
        user = User.objects.get(username=username)
        device, _ = StaticDevice.objects.get_or_create(user=user, name=BENCH_DEVICE, defaults={"confirmed": True})
        device.token_set.all().delete()
        mine = [f"{secrets.randbelow(10**8):08d}" for _ in range(count)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in mine)
        codes[username] = mine
    return codes


def _typo(word: str) -> str:
    """The word with one letter changed near its middle, as a hurried search would type it."""
    middle = len(word) // 2
    replacement = "e" if word[middle].lower() != "e" else "a"
    return word[:middle] + replacement + word[middle + 1 :]


def _case_target(*, case_user: User) -> dict[str, Any]:
    """Among the open cases in the user's team whose child the user may see, the twenty with the most notes; of those,
    the one with the most notes and chronology entries together: the heaviest case page a practitioner opens."""
    visible = gate.visible_to(case_user, Child.objects.all()).values("pk")
    cases = (
        Case.objects.filter(team_id=case_user.team_id, child_id__in=visible)
        .annotate(note_count=Count("notes"))
        .order_by("-note_count", "pk")
    )
    candidates = list(cases.filter(closed_at__isnull=True)[:20]) or list(cases[:20])
    if not candidates:
        raise SystemExit(f"No case visible to {case_user.username} in their team")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child_id, count(*) FROM chronology_chronologyentry WHERE child_id = ANY(%s) GROUP BY child_id",
            [[case.child_id for case in candidates]],
        )
        chronology = dict(cursor.fetchall())
    case = max(candidates, key=lambda c: (c.note_count + chronology.get(c.child_id, 0), -c.pk))  # type: ignore[attr-defined]
    return {
        "case": str(case.public_id),
        "child": str(Child.objects.values_list("public_id", flat=True).get(pk=case.child_id)),
        "case_id": case.pk,
        "child_id": case.child_id,
        "notes": case.note_count,  # type: ignore[attr-defined]
        "chronology_entries": chronology.get(case.child_id, 0),
    }


def _network_target(*, network_user: User) -> dict[str, Any]:
    """The child, among those the user may see, whose mapping entity has the most links: the widest 2-hop network."""
    visible = gate.visible_to(network_user, Child.objects.all()).values("pk")
    with connection.cursor() as cursor:
        sql_visible, params = visible.query.sql_with_params()
        cursor.execute(
            f"""
            WITH ends AS (
                SELECT a_id AS entity_id FROM mapping_link
                UNION ALL
                SELECT b_id FROM mapping_link
            )
            SELECT e.child_id, count(*) AS links
            FROM ends JOIN mapping_entity e ON e.id = ends.entity_id
            WHERE e.child_id IN ({sql_visible})
            GROUP BY e.child_id
            ORDER BY links DESC, e.child_id
            LIMIT 1
            """,  # noqa: S608  # the inner query is Django's own, with its parameters passed separately
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return {"child": None, "links": 0}
    return {"child": str(Child.objects.values_list("public_id", flat=True).get(pk=row[0])), "links": row[1]}


def _search_target() -> dict[str, Any]:
    """The commonest surname, misspelt: a fuzzy search that matches many children."""
    top = Child.objects.values("last_name").annotate(n=Count("pk")).order_by("-n", "last_name").first()
    if top is None:
        raise SystemExit("No children in this database")
    return {"term": _typo(top["last_name"]), "surname_children": top["n"]}


def _referral_target(*, referral_user: User) -> dict[str, Any]:
    """A referral waiting at the SPOC, as its worker opens it."""
    waiting = gate.visible_to(referral_user, Referral.objects.filter(state__in=QUEUE_STATES["spoc"]))
    referral = waiting.order_by("-pk").first() or gate.visible_to(referral_user, Referral.objects.all()).first()
    if referral is None:
        raise SystemExit(f"No referral visible to {referral_user.username}")
    return {"referral": str(referral.public_id), "referral_id": referral.pk, "state": referral.state}


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    case_user = User.objects.get(username=args.case_user)
    network_user = User.objects.get(username=args.network_user)
    referral_user = User.objects.get(username=args.referral_user)
    started = time.perf_counter()
    targets = {
        "case": _case_target(case_user=case_user),
        "network": _network_target(network_user=network_user),
        "search": _search_target(),
        "referral": _referral_target(referral_user=referral_user),
    }
    targets["seconds"] = round(time.perf_counter() - started, 2)
    codes = backup_codes(usernames=args.users.split(","), count=args.codes)
    return {"targets": targets, "codes": codes}


COUNTED_TABLES = [
    ("Children", "people_child", ""),
    ("Referrals and contacts", "referrals_referral", ""),
    ("Evolve cases", "cases_case", ""),
    ("Allocations", "cases_allocation", ""),
    ("Case notes", "cases_casenote", ""),
    ("Risk assessments", "risk_riskassessment", ""),
    ("Meetings", "meetings_meeting", ""),
    ("Meeting agenda items", "meetings_agendaitem", ""),
    ("People of concern", "mapping_entity", "kind = 'person'"),
    ("Locations", "mapping_entity", "kind = 'location'"),
    ("Vehicles", "mapping_entity", "kind = 'vehicle'"),
    ("Mapping entities (all kinds)", "mapping_entity", ""),
    ("Links", "mapping_link", ""),
    ("Missing episodes", "mapping_missingepisode", ""),
    ("Chronology entries", "chronology_chronologyentry", ""),
    ("Clock deadlines", "clock_deadline", ""),
    ("Access-log rows", "audit_accesslogentry", ""),
    ("Sessions", "django_session", ""),
    ("Users", "accounts_user", ""),
    ("Teams", "accounts_team", ""),
]


def counts(args: argparse.Namespace) -> dict[str, Any]:
    """Exact counts (a few seconds on the big tables): the table in RESULTS.md says what the pages ran against."""
    rows = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = {name for (name,) in cursor.fetchall()}
        for label, table, where in COUNTED_TABLES:
            if table not in tables:
                rows.append({"label": label, "table": table, "rows": None})
                continue
            condition = f" WHERE {where}" if where else ""
            cursor.execute(f"SELECT count(*) FROM {table}{condition}")  # noqa: S608  # names from the list above
            rows.append({"label": label, "table": table, "rows": cursor.fetchone()[0]})
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    return {"tables": rows, "database_size": size}


def report(args: argparse.Namespace) -> dict[str, Any]:
    """The monthly report for the team and month, built as reporting.services builds it (figures, then the PDF, then
    the CSV), timed part by part. It calls the same functions but does not record a build, so the database under
    test gains no report rows; the files go under var/bench/."""
    from django.utils import timezone

    from evolve.accounts.models import Team
    from reporting.content import report_content
    from reporting.document import render_csv, render_pdf
    from reporting.services import last_month

    user = User.objects.get(username=args.report_user)
    team = Team.objects.get(pk=user.team_id)
    period = last_month()
    year, month = (args.year, args.month) if args.year else (period.year, period.month)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    content = report_content(team_id=team.pk, team_name=team.name, year=year, month=month)
    figures_done = time.perf_counter()
    pdf = render_pdf(content=content, version=1, built_at=timezone.now())
    pdf_done = time.perf_counter()
    csv_bytes = render_csv(content=content).encode("utf-8-sig")
    csv_done = time.perf_counter()
    stem = f"report-team-{team.pk}-{year}-{month:02d}"
    (out / f"{stem}.pdf").write_bytes(pdf)
    (out / f"{stem}.csv").write_bytes(csv_bytes)
    return {
        "team_id": team.pk,
        "year": year,
        "month": month,
        "figures_seconds": round(figures_done - started, 3),
        "pdf_seconds": round(pdf_done - figures_done, 3),
        "csv_seconds": round(csv_done - pdf_done, 3),
        "total_seconds": round(csv_done - started, 3),
        "pdf_bytes": len(pdf),
        "csv_bytes": len(csv_bytes),
        "pdf": str(out / f"{stem}.pdf"),
        "csv": str(out / f"{stem}.csv"),
    }


def codes(args: argparse.Namespace) -> dict[str, Any]:
    return {"codes": backup_codes(usernames=args.users.split(","), count=args.codes)}


# What each state the soak's pages confirmed must have left in the database.
SOAK_STATES = {"submitted", "logged", "screened", "with_mash", "co_allocated"}


def soak(args: argparse.Namespace) -> dict[str, Any]:
    """Every referral, state, decision, case and note bench/soak.py was told was saved, found (or not) here."""
    from evolve.cases.models import CaseNote, Decision, DecisionView
    from evolve.notifications.models import Notification

    ledger = json.loads(Path(args.ledger).read_text())
    since = datetime.fromisoformat(args.since)
    referrals = {str(r.public_id): r for r in Referral.objects.filter(created_at__gte=since).select_related("child")}
    viewed = set(DecisionView.objects.filter(at__gte=since).values_list("referral__public_id", flat=True))
    decisions = {
        str(d.referral.public_id): d
        for d in Decision.objects.filter(decided_at__gte=since).select_related("referral", "case", "referral__child")
    }
    notes = {
        note.text.split(":", 1)[0]: str(note.case.public_id)
        for note in CaseNote.objects.filter(written_at__gte=since, text__startswith="Soak note ").select_related("case")
    }
    lost: list[dict[str, str]] = []
    confirmed = ahead_of_ledger = 0
    for item in ledger:
        referral = referrals.get(item["public_id"])
        expected = item["state"]
        found = referral.state if referral else "missing"
        ok = referral is not None
        if ok and expected in SOAK_STATES and referral.state != expected:
            # Further on than the ledger (a step saved whose answer never came back) is not lost; behind it is.
            ahead = RANK.get(referral.state, -1) > RANK[expected]
            ahead_of_ledger += ahead
            ok = ahead
        if ok and expected in ("logged", "screened", "with_mash", "co_allocated", "one_view", "decided"):
            # (the child is known only if the page after the step was read)
            ok = referral.child is not None and str(referral.child.public_id) == (
                item["child"] or str(referral.child.public_id)
            )
        if ok and expected == "one_view":
            ok = uuid.UUID(item["public_id"]) in viewed
        if ok and expected == "decided":
            decision = decisions.get(item["public_id"])
            # (the case is known only if the page after the decision was read)
            case_id = str(decision.case.public_id) if decision is not None and decision.case is not None else None
            ok = case_id is not None and case_id == (item["case"] or case_id)
            found = f"decision {'with case ' + str(decision.case.public_id) if decision and decision.case else 'none'}"
        if ok and item["note"]:
            ok = notes.get(item["note"]) == item["case"]
            found = "note found" if ok else "note missing"
        confirmed += _steps_confirmed(item)
        if not ok:
            lost.append({"referral": item["public_id"], "expected": expected, "found": found})
    made = len(ledger)
    cases_expected = sum(1 for item in ledger if item["case"])
    notes_expected = sum(1 for item in ledger if item["note"])
    notified = Notification.objects.filter(created_at__gte=since)
    return {
        "confirmed_steps": confirmed,
        "ahead_of_ledger": ahead_of_ledger,
        "lost": lost,
        "referrals_made": made,
        "referrals_found": len(referrals),
        "cases_expected": cases_expected,
        "cases_found": sum(1 for d in decisions.values() if d.case_id),
        "notes_expected": notes_expected,
        "notes_found": len(notes),
        "count_matches": len(referrals) == made
        and sum(1 for d in decisions.values() if d.case_id) == cases_expected
        and len(notes) == notes_expected,
        "notifications": notified.count(),
        "notifications_unsent": notified.filter(email_wanted=True, emailed_at__isnull=True).count(),
        "notifications_emailed": Notification.objects.filter(emailed_at__gte=since).count(),
    }


PATHWAY = ["draft", "submitted", "logged", "screened", "with_mash", "co_allocated", "one_view", "decided"]
RANK = {state: index for index, state in enumerate(PATHWAY)}  # "decided" is also a referral's own state


def _steps_confirmed(item: dict[str, str]) -> int:
    """How many saves the pages confirmed for one referral: start, each step, the co-allocation's check, the note."""
    reached = PATHWAY.index(item["state"]) + 1
    return reached + (1 if reached > PATHWAY.index("with_mash") + 1 else 0) + (1 if item["note"] else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    prepare_parser = commands.add_parser("prepare")
    prepare_parser.add_argument("--users", required=True, help="comma-separated user names to make codes for")
    prepare_parser.add_argument("--codes", type=int, default=16)
    prepare_parser.add_argument("--case-user", required=True)
    prepare_parser.add_argument("--network-user", required=True)
    prepare_parser.add_argument("--referral-user", required=True)
    commands.add_parser("counts")
    codes_parser = commands.add_parser("codes")
    codes_parser.add_argument("--users", required=True)
    codes_parser.add_argument("--codes", type=int, default=16)
    soak_parser = commands.add_parser("soak")
    soak_parser.add_argument("--ledger", required=True)
    soak_parser.add_argument("--since", required=True)
    report_parser = commands.add_parser("report")
    report_parser.add_argument("--report-user", required=True)
    report_parser.add_argument("--year", type=int, default=0)
    report_parser.add_argument("--month", type=int, default=0)
    report_parser.add_argument("--out", required=True)
    args = parser.parse_args()
    handlers = {"prepare": prepare, "counts": counts, "report": report, "codes": codes, "soak": soak}
    print(json.dumps(handlers[args.command](args)))


if __name__ == "__main__":
    main()
