"""Synthetic demo data: agencies, a user for every role, and a few dozen children. Nothing here is a real person:
names are drawn at random from common first names and surnames, addresses are on streets that do not exist."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from evolve.access.grants import child_access_grant
from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.accounts.services import backup_codes_replace
from evolve.people.models import Child, ChildIdentifier, Ethnicity, Gender, LookedAfterStatus
from evolve.people.services import ChildDetails, NewAddress, child_create, child_identifier_add

DEMO_PASSWORD = "evolve-demo-password"  # noqa: S105  # demo logins on a developer's machine only
DEMO_BACKUP_CODES = ["11111111", "22222222", "33333333", "44444444", "55555555"]

TEAM_AGENCIES = [
    ("South Yorkshire Police Public Protection Unit", "SYP PPU", Agency.Kind.POLICE),
    ("Children and Young People's Services", "CYPS", Agency.Kind.CHILDRENS_SOCIAL_CARE),
    ("Barnardo's", "Barnardo's", Agency.Kind.VOLUNTARY),
    ("The Rotherham Foundation Trust", "TRFT", Agency.Kind.HEALTH),
    ("Parents Against Child Exploitation", "PACE", Agency.Kind.VOLUNTARY),
]
OTHER_AGENCIES = [
    ("Riverside Academy", "Riverside", Agency.Kind.EDUCATION),
    ("Youth Offending Service", "YOS", Agency.Kind.OTHER),
    ("Sexual Health Service", "Sexual Health", Agency.Kind.HEALTH),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    agency: str
    roles: tuple[Role, ...]
    in_team: bool = False
    job_title: str = ""
    is_staff: bool = False


DEMO_USERS = [
    DemoUser("tm", "Tessa", "Manley", "CYPS", (Role.TEAM_MANAGER,), True, "Evolve team manager"),
    DemoUser("ds", "Dev", "Sergeant", "SYP PPU", (Role.DETECTIVE_SERGEANT,), True, "Detective sergeant"),
    DemoUser("socialworker", "Sam", "Walker", "CYPS", (Role.PRACTITIONER,), True, "Evolve social worker"),
    DemoUser("police", "Pat", "Constable", "SYP PPU", (Role.PRACTITIONER,), True, "Police officer, Evolve"),
    DemoUser("nurse", "Nia", "Ward", "TRFT", (Role.PRACTITIONER,), True, "CSE nurse"),
    DemoUser("barnardos", "Bea", "Norton", "Barnardo's", (Role.PRACTITIONER,), True, "Barnardo's practitioner"),
    DemoUser("pace", "Parveen", "Acre", "PACE", (Role.PRACTITIONER,), True, "PACE parent worker"),
    DemoUser("spoc", "Sol", "Pocket", "CYPS", (Role.SPOC_WORKER,), False, "SPOC worker"),
    DemoUser("triage", "Tia", "Rich", "CYPS", (Role.TRIAGE_WORKER,), False, "Triage worker"),
    DemoUser("triagemanager", "Trevor", "Mann", "CYPS", (Role.TRIAGE_MANAGER,), False, "Triage manager"),
    DemoUser("mash", "Mo", "Ashby", "CYPS", (Role.MASH_WORKER,), False, "MASH worker"),
    DemoUser("caseholder", "Cass", "Holden", "CYPS", (Role.CASE_HOLDING_SOCIAL_WORKER,), False, "Social worker"),
    DemoUser("referrer", "Rory", "Teacher", "Riverside", (Role.REFERRER,), False, "Designated safeguarding lead"),
    DemoUser("headofservice", "Hal", "Service", "CYPS", (Role.HEAD_OF_SERVICE,), False, "Head of Service"),
    DemoUser("servicemanager", "Di", "Inspector", "SYP PPU", (Role.SERVICE_MANAGER,), False, "Detective inspector"),
    DemoUser("governance", "Gina", "Board", "CYPS", (Role.GOVERNANCE,), False, "LSCB CSE sub-group"),
    DemoUser("admin", "Ada", "Minister", "CYPS", (Role.ADMINISTRATOR,), False, "Administrator", True),
]

FIRST_NAMES = {
    Gender.GIRL: ["Amelia", "Chloe", "Ellie", "Grace", "Isla", "Jade", "Leah", "Maisie", "Niamh", "Poppy", "Ruby"],
    Gender.BOY: ["Alfie", "Callum", "Dylan", "Ethan", "Harvey", "Jayden", "Kian", "Liam", "Mason", "Reece", "Tyler"],
}
LAST_NAMES = [
    "Ashworth",
    "Brennan",
    "Carver",
    "Doyle",
    "Fenwick",
    "Garside",
    "Hollis",
    "Kaur",
    "Lomax",
    "Marsden",
    "Naylor",
    "Oakes",
    "Pearson",
    "Quinlan",
    "Rahman",
    "Shaw",
    "Thorpe",
    "Vickers",
    "Whitley",
    "Yates",
]
STREETS = ["Quarry View", "Mill Lane", "Chapel Walk", "Beech Grove", "Canal Side", "Foundry Row", "Orchard Close"]
SCHOOLS = ["Riverside Academy", "Hillcrest School", "Valley College", ""]


@transaction.atomic
def seed_demo(*, children: int = 36, seed: int = 2026) -> list[DemoUser]:
    """Idempotent: users and their backup codes are reset, children are added only once."""
    agencies = {}
    for name, short_name, kind in TEAM_AGENCIES + OTHER_AGENCIES:
        agencies[short_name], _ = Agency.objects.update_or_create(
            short_name=short_name, defaults={"name": name, "kind": kind}
        )
    team, _ = Team.objects.get_or_create(name="Evolve")
    team.agencies.set([agencies[short_name] for _, short_name, _ in TEAM_AGENCIES])
    users = {}
    for demo in DEMO_USERS:
        user, _ = User.objects.update_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@evolve.invalid",
                "agency": agencies[demo.agency],
                "team": team if demo.in_team else None,
                "roles": list(demo.roles),
                "job_title": demo.job_title,
                "is_staff": demo.is_staff,
                "is_superuser": demo.is_staff,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        backup_codes_replace(user=user, codes=list(DEMO_BACKUP_CODES))
        users[demo.username] = user
    if not Child.objects.filter(created_by__username__in=[demo.username for demo in DEMO_USERS]).exists():
        _seed_children(users=users, count=children, rng=random.Random(seed))
        _seed_referrals(users=users, team=team, rng=random.Random(seed))
    return DEMO_USERS


def _seed_children(*, users: dict[str, User], count: int, rng: random.Random) -> None:
    today = date.today()
    recorders = ["tm", "ds", "socialworker", "police", "nurse", "barnardos", "pace"]
    for index in range(count):
        gender = rng.choice([Gender.GIRL, Gender.GIRL, Gender.BOY])
        first_name = rng.choice(FIRST_NAMES[gender])
        last_name = rng.choice(LAST_NAMES)
        born = today - timedelta(days=rng.randint(11 * 365, 17 * 365))
        estimated = index % 12 == 11
        recorder = users["police"] if index % 9 == 4 else users[rng.choice(recorders)]
        details = ChildDetails(
            first_name=first_name,
            last_name=last_name,
            date_of_birth=None if estimated else born,
            estimated_age=rng.randint(12, 16) if estimated else None,
            gender=gender,
            ethnicity=rng.choice([Ethnicity.WHITE_BRITISH] * 6 + [Ethnicity.ASIAN_PAKISTANI, Ethnicity.MIXED_OTHER]),
            school=rng.choice(SCHOOLS),
            looked_after_status=rng.choice([LookedAfterStatus.NOT_LOOKED_AFTER] * 4 + [LookedAfterStatus.CARE_ORDER]),
            aliases=[f"{first_name[:3]}{rng.choice(['zy', 'ie', 'o'])}"] if index % 4 == 0 else [],
            address=NewAddress(
                line_1=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                town="Rotherham",
                postcode=f"S6{rng.randint(0, 6)} {rng.randint(1, 9)}ZZ",
                lived_from=born + timedelta(days=rng.randint(0, 3000)),
            ),
        )
        # Every ninth child carries police intelligence and is restricted to the police.
        child = child_create(by=recorder, details=details, restrict_to_my_agency=index % 9 == 4)
        child_identifier_add(
            child=child, by=recorder, system=ChildIdentifier.System.SOCIAL_CARE, value=f"DEMO-{100000 + index}"
        )
    # Children known at the front door but not open to the team: seen by the case holder through a grant.
    for index in range(4):
        gender = rng.choice([Gender.GIRL, Gender.BOY])
        child = child_create(
            by=users["mash"],
            details=ChildDetails(
                first_name=rng.choice(FIRST_NAMES[gender]),
                last_name=rng.choice(LAST_NAMES),
                date_of_birth=today - timedelta(days=rng.randint(10 * 365, 16 * 365)),
                gender=gender,
            ),
        )
        if index % 2 == 0:
            child_access_grant(child=child, user=users["caseholder"])


def _seed_referrals(*, users: dict[str, User], team: Team, rng: random.Random) -> None:
    """A referral at each stage of the front door, so every queue has something in it."""
    from referrals import services as referrals
    from risk.selectors import catalogue_current, catalogue_indicators

    indicators = [i.pk for c in catalogue_indicators(version=catalogue_current()) for i in c.indicators]
    stages = ["draft", "submitted", "submitted", "logged", "screened", "with_mash", "co_allocated"]
    for index, stage in enumerate(stages):
        gender = rng.choice([Gender.GIRL, Gender.BOY])
        first, last = rng.choice(FIRST_NAMES[gender]), rng.choice(LAST_NAMES)
        born = date.today() - timedelta(days=rng.randint(11 * 365, 16 * 365))
        by = users["referrer"]
        referral = referrals.referral_draft_create(by=by)
        referral = referrals.referral_draft_save(
            referral=referral,
            by=by,
            based_on_version=referral.version,
            fields={
                "child_first_name": first,
                "child_last_name": last,
                "child_date_of_birth": born,
                "child_school": "Riverside Academy",
                "concern": "Seen after school getting into cars driven by older men; new phone and clothes.",
                "urgency": "urgent" if index == 2 else "routine",
                "consent": "given",
            },
            indicator_ids=rng.sample(indicators, 3),
        )
        if stage == "draft":
            continue
        referral = referrals.referral_submit(referral=referral, by=by, based_on_version=referral.version)
        if stage == "submitted":
            continue
        child = child_create(
            by=users["spoc"], details=ChildDetails(first_name=first, last_name=last, date_of_birth=born, gender=gender)
        )
        referral = referrals.referral_log(
            referral=referral, by=users["spoc"], based_on_version=referral.version, child=child
        )
        if stage == "logged":
            continue
        referral = referrals.referral_screen(
            referral=referral, by=users["triage"], based_on_version=referral.version, notes="Several CSE indicators."
        )
        if stage == "screened":
            continue
        referral = referrals.referral_send_to_mash(
            referral=referral,
            by=users["triagemanager"],
            based_on_version=referral.version,
            decision=referrals.TriageDecision(
                threshold="child_protection", rag="amber", rationale="Indicators of CSE."
            ),
        )
        if stage == "with_mash":
            continue
        referrals.mash_check_record(referral=referral, by=users["mash"], holds_information=False, summary="")
        referrals.referral_co_allocate(
            referral=referral,
            by=users["mash"],
            based_on_version=referral.version,
            decision=referrals.MashDecision(
                rag="red", intervention="section_47", rationale="Vehicle known to police.", team=team
            ),
        )
