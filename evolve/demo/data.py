"""Synthetic demo data: agencies, a user for every role, and a few dozen children. Nothing here is a real person:
names are drawn at random from common first names and surnames, addresses are on streets that do not exist."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from evolve.access.grants import child_access_grant
from evolve.access.models import LawfulBasis, ShareConsent
from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.accounts.services import backup_codes_replace
from evolve.cases.models import AgencyCheck, AllocationRole, Case, CaseNote, ChildWords, DecisionKind, DecisionView
from evolve.cases.services import (
    agency_check_answer,
    agency_checks_request_team,
    allocation_add,
    case_close,
    case_holder_set,
    case_note_add,
    case_note_share,
    case_review_date_set,
    child_words_add,
    decision_escalate,
    decision_view_record,
    key_individual_set,
)
from evolve.people.models import Child, ChildIdentifier, Ethnicity, Gender, LookedAfterStatus
from evolve.people.services import ChildDetails, NewAddress, child_create, child_identifier_add
from mapping.models import (
    Confidence,
    DisruptionKind,
    Entity,
    EntityKind,
    Group,
    LinkKind,
    Location,
    LocationType,
    PersonOfConcern,
)
from mapping.services import (
    EpisodeInput,
    LinkInput,
    child_entity,
    disruption_record,
    entity_flag_for_disruption,
    entity_record,
    investigation_open,
    link_record,
    missing_episode_record,
    prosecution_record,
)
from reporting.services import last_month, report_build, report_request

if TYPE_CHECKING:
    from referrals.models import Referral

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
    """Idempotent: users and their backup codes are reset, children are added only once, and so is the Evolve team's
    work on the referrals co-allocated to it (the daily review and the children's cases) and last month's report."""
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
    if not DecisionView.objects.filter(by=users["tm"]).exists():
        _seed_evolve_work(users=users, team=team, rng=random.Random(seed))
    if not Group.objects.filter(team=team, name=DEMO_GROUP).exists():
        _seed_mapping(users=users, team=team)
    _seed_report(team=team)
    return DEMO_USERS


def _seed_report(*, team: Team) -> None:
    """Last month's report, as the schedule builds it early on the 1st, so the reports page has one to open. Asked for
    once (the schedule's request is idempotent) and built once (building a built report returns it)."""
    month = last_month()
    build = report_request(team_id=team.pk, year=month.year, month=month.month, by=None)
    report_build(build_id=build.pk)


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


# Where each demo referral stops on the pathway, so every queue has something in it. The co-allocated ones wait in the
# Evolve daily review; `_seed_evolve_work` takes most of them on, as the team manager and detective sergeant would.
REFERRAL_STAGES = ["draft", "submitted", "submitted", "logged", "screened", "with_mash", *["co_allocated"] * 10]
URGENT_REFERRALS = frozenset({2, 6})  # one waiting for the SPOC, one at the top of the daily review


def _indicator_ids() -> list[int]:
    from risk.selectors import catalogue_current, catalogue_indicators

    return [i.pk for c in catalogue_indicators(version=catalogue_current()) for i in c.indicators]


def _seed_referrals(*, users: dict[str, User], team: Team, rng: random.Random) -> None:
    """A referral at each stage of the front door."""
    indicators = _indicator_ids()
    for index, stage in enumerate(REFERRAL_STAGES):
        _referral_to_stage(
            users=users, team=team, rng=rng, indicators=indicators, stage=stage, urgent=index in URGENT_REFERRALS
        )


def _referral_to_stage(
    *, users: dict[str, User], team: Team, rng: random.Random, indicators: list[int], stage: str, urgent: bool
) -> Referral:
    """One referral, taken along the pathway by the people whose step each is, up to `stage`."""
    from referrals import services as referrals

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
            "urgency": "urgent" if urgent else "routine",
            "consent": "given",
        },
        indicator_ids=rng.sample(indicators, 3),
    )
    if stage == "draft":
        return referral
    referral = referrals.referral_submit(referral=referral, by=by, based_on_version=referral.version)
    if stage == "submitted":
        return referral
    child = child_create(
        by=users["spoc"], details=ChildDetails(first_name=first, last_name=last, date_of_birth=born, gender=gender)
    )
    referral = referrals.referral_log(
        referral=referral, by=users["spoc"], based_on_version=referral.version, child=child
    )
    if stage == "logged":
        return referral
    referral = referrals.referral_screen(
        referral=referral, by=users["triage"], based_on_version=referral.version, notes="Several CSE indicators."
    )
    if stage == "screened":
        return referral
    referral = referrals.referral_send_to_mash(
        referral=referral,
        by=users["triagemanager"],
        based_on_version=referral.version,
        decision=referrals.TriageDecision(threshold="child_protection", rag="amber", rationale="Indicators of CSE."),
    )
    if stage == "with_mash":
        return referral
    referrals.mash_check_record(referral=referral, by=users["mash"], holds_information=False, summary="")
    return referrals.referral_co_allocate(
        referral=referral,
        by=users["mash"],
        based_on_version=referral.version,
        decision=referrals.MashDecision(
            rag="red", intervention="section_47", rationale="Vehicle known to police.", team=team
        ),
    )


# The Evolve team at work ---------------------------------------------------------------------------------------------

# What happens to each co-allocated referral, urgent first then oldest (the daily review's own order). The first three
# stay in the daily review; the rest are decided by the team manager and the detective sergeant together.
EVOLVE_PLAN = [
    "agency_checks",  # urgent: every team agency asked what it holds, the police have answered
    "tm_view_only",  # the detective sergeant sees "waiting for you"
    "escalated",  # they disagree: the police service manager (demo "servicemanager") decides
    DecisionKind.RISK_ASSESSMENT_MEETING,
    DecisionKind.RISK_ASSESSMENT_MEETING,
    DecisionKind.STRATEGY_DISCUSSION,  # its 24-hour clock left running, on the daily review page
    DecisionKind.URGENT_CIN,
    DecisionKind.RISK_ASSESSMENT_MEETING,  # later closed: risk reduced
    DecisionKind.REFERRER_ADVICE,
    DecisionKind.EARLY_HELP_ADVICE,
]

RATIONALES = {
    DecisionKind.RISK_ASSESSMENT_MEETING: (
        "Several indicators and a pattern over weeks; no disclosure yet. The RA meeting should assess the risk.",
        "Nothing for an immediate police response; police intelligence to be shared at the RA meeting.",
    ),
    DecisionKind.STRATEGY_DISCUSSION: (
        "Missing overnight twice this week and seen in a car known to police: significant harm is likely.",
        "Vehicle linked to an ongoing investigation. Strategy discussion today, within 24 hours.",
    ),
    DecisionKind.URGENT_CIN: (
        "Parents struggling to keep the child safe at home; an urgent Child in Need plan is needed now.",
        "Agreed. No offence identified at present; police will support the plan.",
    ),
    DecisionKind.REFERRER_ADVICE: (
        "Concern is about online contact already reported and dealt with by the school. No CSE indicators since.",
        "No police intelligence held. Agree advice to the referrer.",
    ),
    DecisionKind.EARLY_HELP_ADVICE: (
        "Low-level worries about school attendance and friendships; no CSE indicators found by any agency.",
        "Nothing held by the police. Early Help is the right support.",
    ),
}
ADVICE = {
    DecisionKind.REFERRER_ADVICE: (
        "Keep talking with the child about safe relationships online; the school's online safety lessons are a good "
        "place to start. Refer again if you see new signs, such as gifts, older friends or missing episodes."
    ),
    DecisionKind.EARLY_HELP_ADVICE: (
        "Please complete an Early Help Assessment with the family and the school, and invite the school nurse."
    ),
}


def _seed_evolve_work(*, users: dict[str, User], team: Team, rng: random.Random) -> None:
    """The daily review and the children's cases, made through the case services as the team would make them, so the
    demo has the same chronology, access grants and information-sharing ledger as real work."""
    from referrals.selectors import referrals_awaiting_evolve_decision

    tm, ds = users["tm"], users["ds"]

    def waiting() -> list[Referral]:
        """The demo's co-allocated referrals nobody has taken up yet (not one a demo user has already worked on)."""
        queue = (
            referrals_awaiting_evolve_decision(user=tm)
            .filter(referrer=users["referrer"])
            .exclude(pk__in=DecisionView.objects.values("referral_id"))
            .exclude(pk__in=AgencyCheck.objects.values("referral_id"))
        )
        return list(queue[: len(EVOLVE_PLAN)])

    referrals = waiting()
    if len(referrals) < len(EVOLVE_PLAN):
        # A database seeded before the case work existed holds fewer: bring more along the same pathway.
        indicators = _indicator_ids()
        has_urgent = any(r.urgency == "urgent" for r in referrals)
        for index in range(len(EVOLVE_PLAN) - len(referrals)):
            urgent = index == 0 and not has_urgent
            _referral_to_stage(
                users=users, team=team, rng=rng, indicators=indicators, stage="co_allocated", urgent=urgent
            )
        referrals = waiting()

    cases: dict[int, Case] = {}
    for position, (referral, plan) in enumerate(zip(referrals, EVOLVE_PLAN, strict=True)):
        if plan == "agency_checks":
            checks = agency_checks_request_team(referral=referral, by=tm, due_at=timezone.now() + timedelta(hours=20))
            police_check = next(check for check in checks if check.owner == users["police"])
            agency_check_answer(
                check=police_check,
                by=users["police"],
                holds_information=True,
                answer="The car's registered keeper is known to police for supplying drugs to young people.",
            )
        elif plan == "tm_view_only":
            decision_view_record(
                referral=referral,
                by=tm,
                kind=DecisionKind.RISK_ASSESSMENT_MEETING,
                rationale="Pattern of going missing after school; needs the RA meeting's multi-agency assessment.",
            )
        elif plan == "escalated":
            decision_view_record(
                referral=referral,
                by=tm,
                kind=DecisionKind.RISK_ASSESSMENT_MEETING,
                rationale="No disclosure and no missing episodes: the RA meeting can assess the risk this week.",
            )
            decision_view_record(
                referral=referral,
                by=ds,
                kind=DecisionKind.STRATEGY_DISCUSSION,
                rationale="The older male named by the school is a suspect in another CSE investigation.",
            )
            decision_escalate(
                referral=referral,
                by=ds,
                note="We differ on whether the police intelligence calls for a strategy discussion today.",
            )
        else:
            kind = DecisionKind(plan)
            tm_reason, ds_reason = RATIONALES[kind]
            advice = ADVICE.get(kind, "")
            decision_view_record(referral=referral, by=tm, kind=kind, rationale=tm_reason, advice=advice)
            outcome = decision_view_record(referral=referral, by=ds, kind=kind, rationale=ds_reason, advice=advice)
            assert outcome.decision is not None, "the team manager and detective sergeant agree"
            if outcome.decision.case is not None:
                cases[position] = outcome.decision.case
    _seed_cases(users=users, cases=[cases[position] for position in sorted(cases)], rng=rng)


def _seed_cases(*, users: dict[str, User], cases: list[Case], rng: random.Random) -> None:
    """Who works with each child opened to Evolve, and what they have recorded. `cases` in EVOLVE_PLAN's order: two
    awaiting the RA meeting, one awaiting its strategy discussion, one urgent Child in Need, one to be closed."""
    tm, ds = users["tm"], users["ds"]
    today = timezone.localdate()
    ra_first, ra_second, strategy, urgent_cin, to_close = cases

    def current(case: Case) -> Case:
        return Case.objects.get(pk=case.pk)  # its version, after services that changed it

    def allocate(case: Case, *allocations: tuple[str, AllocationRole]) -> None:
        for username, role in allocations:
            allocation_add(case=case, by=tm, user=users[username], role=role, start_on=today)

    def note(case: Case, username: str, text: str, *, restricted: bool = False) -> CaseNote:
        return case_note_add(case=current(case), by=users[username], text=text, restricted=restricted)

    # The case-holding social worker from the wider service holds three of them, and sees only those.
    for case in (ra_first, strategy, urgent_cin):
        case_holder_set(case=case, by=tm, based_on_version=current(case).version, holder=users["caseholder"])

    # Awaiting the RA meeting: the whole team around the child, a key individual in the team, a review date.
    allocate(
        ra_first,
        ("socialworker", AllocationRole.SOCIAL_WORK_LEAD),
        ("police", AllocationRole.POLICE_INVESTIGATION),
        ("nurse", AllocationRole.CSE_NURSE),
        ("barnardos", AllocationRole.BARNARDOS_PRACTITIONER),
        ("pace", AllocationRole.PACE_PARENT_WORKER),
    )
    key_individual_set(case=ra_first, by=tm, based_on_version=current(ra_first).version, user=users["barnardos"])
    case_review_date_set(
        case=ra_first, by=tm, based_on_version=current(ra_first).version, next_review_on=today + timedelta(days=28)
    )
    note(ra_first, "socialworker", "Home visit with mum. The child was quiet but agreed to meet Barnardo's next week.")
    note(ra_first, "barnardos", "First session at school. Talked about friendships; the child named two older 'mates'.")
    note(ra_first, "pace", "Met mum. She is worried about late nights and a second phone; agreed weekly calls.")
    note(ra_first, "caseholder", "Child in Need plan reviewed with the family: attendance at school has improved.")
    note(
        ra_first,
        "nurse",
        "Clinical note: attended the sexual health clinic; treatment given; follow-up booked in two weeks.",
        restricted=True,  # health only: not shared with anyone
    )
    intelligence = note(
        ra_first,
        "police",
        "Intelligence: the child was seen in a car stopped on Canal Side; the driver is a suspect in an investigation.",
        restricted=True,
    )
    case_note_share(
        note=intelligence,
        by=users["police"],
        to_user=users["nurse"],
        lawful_basis=LawfulBasis.SAFEGUARDING,
        consent=ShareConsent.NOT_SOUGHT,
        reason_without_consent="Seeking consent could alert the suspect; the nurse needs it to plan health support.",
    )
    child_words_add(
        case=ra_first,
        by=users["barnardos"],
        kind=ChildWords.Kind.WORDS,
        words="They're just my mates. They give me lifts so I don't have to walk home in the dark.",
        said_on=today - timedelta(days=3),
        context="In a one-to-one session at school with the Barnardo's practitioner",
    )
    child_words_add(
        case=ra_first,
        by=users["barnardos"],
        kind=ChildWords.Kind.WISHES,
        words="I want my mum to stop shouting and I want to stay at my school.",
        said_on=today - timedelta(days=3),
        context="Same session, asked what would make things better",
    )

    # Awaiting the RA meeting: a key individual outside the team, and no review date set yet.
    allocate(
        ra_second, ("socialworker", AllocationRole.SOCIAL_WORK_LEAD), ("police", AllocationRole.POLICE_INVESTIGATION)
    )
    gender = rng.choice([Gender.GIRL, Gender.BOY])
    key_individual_set(
        case=ra_second,
        by=tm,
        based_on_version=current(ra_second).version,
        name=f"{rng.choice(FIRST_NAMES[gender])} {rng.choice(LAST_NAMES)}, youth worker",
        organisation=f"{rng.choice(STREETS)} Youth Club",
    )
    note(ra_second, "socialworker", "Spoke with the youth worker, who sees the child three evenings a week.")
    note(ra_second, "police", "No police intelligence held on the child. Checks on the older friends are under way.")
    child_words_add(
        case=ra_second,
        by=users["socialworker"],
        kind=ChildWords.Kind.WORRIES,
        words="If I stop going out with them they'll say stuff about me online.",
        said_on=today - timedelta(days=1),
        context="In the car on the way back from the youth club, to the social worker",
    )

    # The Immediate Strategy Discussion is due within 24 hours: left for the team to record.
    allocate(
        strategy, ("police", AllocationRole.POLICE_INVESTIGATION), ("socialworker", AllocationRole.SOCIAL_WORK_LEAD)
    )
    case_review_date_set(
        case=strategy, by=ds, based_on_version=current(strategy).version, next_review_on=today + timedelta(days=7)
    )
    note(
        strategy, "police", "Missing overnight; found at an address on Foundry Row at 06:30. Safe and well check done."
    )

    # Urgent Child in Need: flagged to the case-holding social worker.
    allocate(urgent_cin, ("socialworker", AllocationRole.SOCIAL_WORK_LEAD), ("pace", AllocationRole.PACE_PARENT_WORKER))
    case_review_date_set(
        case=urgent_cin, by=tm, based_on_version=current(urgent_cin).version, next_review_on=today + timedelta(days=14)
    )
    note(urgent_cin, "pace", "Dad asked for help setting limits on the child's phone; a session is booked.")

    # Risk reduced: the case was closed, its allocation ended, the history kept.
    allocate(to_close, ("barnardos", AllocationRole.BARNARDOS_PRACTITIONER))
    note(
        to_close,
        "barnardos",
        "Final session. The child understands the risks and has cut contact with the older group.",
    )
    case_close(
        case=to_close,
        by=tm,
        based_on_version=current(to_close).version,
        reason="Risk reduced: the child has cut contact with the older group and is settled at school and at home.",
    )
    _seed_risk_and_meeting(users=users, assessed=[ra_first, ra_second])


# Indicators present in the demo's two assessments: (code, when seen, agency short name, evidence).
DEMO_SCREENING = [
    [
        ("missing-episodes", "current", "SYP PPU", "Reported missing twice this month; found in town both times."),
        ("older-partner", "current", "Riverside", "Told a friend at school her boyfriend is 19 and drives."),
        ("unexplained-gifts", "six_months", "CYPS", "New trainers and a second phone mum cannot explain."),
        ("hotels-cars-unknown-adults", "current", "SYP PPU", "Seen getting into a car with two adult men."),
    ],
    [
        ("older-associates", "current", "CYPS", "Spends evenings with a group of older teenagers from another estate."),
        ("secretive-phone-use", "six_months", "PACE", "Dad says the child hides the phone and deletes messages."),
    ],
]


def _seed_risk_and_meeting(*, users: dict[str, User], assessed: list[Case]) -> None:
    """A multi-agency risk assessment for each child awaiting the RA meeting, and the next weekly meeting scheduled
    with its agenda built from the three lists: ready for the chair to run."""
    from meetings.services import meeting_schedule
    from risk.models import Answer
    from risk.selectors import catalogue_current, catalogue_indicators
    from risk.services import AnswerInput, assessment_record

    agencies = {agency.short_name: agency.pk for agency in Agency.objects.all()}
    codes = [i.code for group in catalogue_indicators(version=catalogue_current()) for i in group.indicators]
    for case, present in zip(assessed, DEMO_SCREENING, strict=True):
        found = {code: (seen, agency, evidence) for code, seen, agency, evidence in present}
        answers = [
            AnswerInput(
                code=code,
                answer=Answer.PRESENT,
                seen=found[code][0],
                evidence=found[code][2],
                source_agency_id=agencies[found[code][1]],
            )
            if code in found
            else AnswerInput(code=code, answer=Answer.NOT_PRESENT)
            for code in codes
        ]
        assessment_record(
            child=case.child,
            by=users["socialworker"],
            answers=answers,
            next_review_on=timezone.localdate() + timedelta(days=42),
            summary="Screened with the school, police and the family worker before the RA meeting.",
            cin_factors=["10A", "11A"] if case is assessed[0] else ["24A"],
        )
    tomorrow = timezone.localtime() + timedelta(days=1)
    meeting_schedule(
        by=users["tm"],
        starts_at=tomorrow.replace(hour=10, minute=0, second=0, microsecond=0),
        place="Riverside House, meeting room 2",
    )


# Mapping and pursuit -------------------------------------------------------------------------------------------------

DEMO_GROUP = "The Foundry Row lads"


def _seed_mapping(*, users: dict[str, User], team: Team) -> None:
    """The team's mapping around three of the open cases, recorded through the mapping services by the member of the
    agency the information came from: people of concern (one restricted to the police), a hotel and a takeaway close
    together, a taxi firm, a car, a group, the links between them and the children, missing episodes (the strategy
    discussion's child three times in 90 days, so the flag shows), and an investigation, a charge and a Child
    Abduction Warning Notice. Every name and place is made up; the coordinates are near Rotherham town centre."""
    open_cases = list(Case.objects.filter(team=team, closed_at__isnull=True).select_related("child").order_by("id"))
    if len(open_cases) < 3:
        return  # the case work is not there yet: the next run brings both
    # In EVOLVE_PLAN's order: two awaiting the RA meeting, then the strategy discussion's child.
    seen_in_car, older_group, missing_often = (case.child for case in open_cases[:3])
    police, ds, social_worker = users["police"], users["ds"], users["socialworker"]
    today = timezone.localdate()
    now = timezone.now()

    def record(by: User, kind: str, restricted: bool = False, **details: object) -> Entity:
        return entity_record(
            by=by,
            kind=kind,
            details=details,
            restricted_to_agency_id=by.agency_id if restricted else None,
            not_a_duplicate=True,
        )

    def link(
        by: User,
        a: Entity,
        b: Entity,
        kind: str,
        evidence: str,
        *,
        confidence: str = Confidence.PROBABLE,
        first_seen: int | None = None,
        last_seen: int | None = None,
        restricted: bool = False,
    ) -> None:
        link_record(
            by=by,
            a=a,
            b=b,
            given=LinkInput(
                kind=kind,
                source_agency_id=by.agency_id,
                confidence=confidence,
                evidence=evidence,
                first_seen_on=today - timedelta(days=first_seen) if first_seen is not None else None,
                last_seen_on=today - timedelta(days=last_seen) if last_seen is not None else None,
                restricted_to_agency_id=by.agency_id if restricted else None,
            ),
        )

    tolson = record(
        police,
        EntityKind.PERSON,
        first_name="Craig",
        last_name="Tolson",
        aliases=["Tolly"],
        description="Man, about 30, short dark hair, tattoo on the left hand.",
    )
    penn = record(
        police,
        EntityKind.PERSON,
        first_name="Marcus",
        last_name="Penn",
        description="Male, about 20; drives younger teenagers around the estate.",
    )
    # Police intelligence: a health or social care member of the team never sees him, nor his links.
    brindley = record(
        police,
        EntityKind.PERSON,
        restricted=True,
        first_name="Lee",
        last_name="Brindley",
        identifiers="PNC DEMO/0000001",
        description="Suspected organiser; not yet known to the children.",
    )
    hotel = record(
        police,
        EntityKind.LOCATION,
        location_type=LocationType.HOTEL,
        name="Canal Side Lodge",
        address="12 Canal Side, Rotherham",
        postcode="S60 1ZZ",
        latitude=Decimal("53.430210"),
        longitude=Decimal("-1.357140"),
    )
    takeaway = record(
        social_worker,
        EntityKind.LOCATION,
        location_type=LocationType.TAKEAWAY,
        name="Quarry Grill",
        address="3 Quarry View, Rotherham",
        postcode="S60 2ZZ",
        latitude=Decimal("53.430790"),
        longitude=Decimal("-1.358020"),
    )
    taxi_firm = record(
        police,
        EntityKind.LOCATION,
        location_type=LocationType.TAXI_FIRM,
        name="Foundry Cars",
        address="40 Foundry Row, Rotherham",
        postcode="S60 3ZZ",
        latitude=Decimal("53.427480"),
        longitude=Decimal("-1.352230"),
    )
    car = record(police, EntityKind.VEHICLE, registration="ZZ15 DMO", make="Vauxhall", model="Astra", colour="Silver")
    group = record(
        social_worker,
        EntityKind.GROUP,
        name=DEMO_GROUP,
        description="Older teenagers and young men who meet at the takeaway and give children lifts.",
    )
    snapchat = record(police, EntityKind.ONLINE_IDENTITY, platform="Snapchat", handle="@tolly_demo")

    child_a = child_entity(child=missing_often, by=police)
    child_b = child_entity(child=seen_in_car, by=police)
    child_c = child_entity(child=older_group, by=social_worker)

    link(
        police,
        child_a,
        tolson,
        LinkKind.EXPLOITED_BY,
        "Disclosed in the return interview after going missing.",
        confidence=Confidence.CONFIRMED,
        first_seen=80,
        last_seen=6,
    )
    link(
        police,
        child_a,
        hotel,
        LinkKind.SEEN_AT,
        "Found at the hotel by a patrol at 02:10.",
        first_seen=35,
        last_seen=35,
        confidence=Confidence.CONFIRMED,
    )
    link(
        police,
        child_a,
        car,
        LinkKind.TRANSPORTED_IN,
        "Seen getting into the car outside school (ANPR and CCTV).",
        first_seen=60,
        last_seen=6,
    )
    link(
        police,
        child_b,
        tolson,
        LinkKind.ASSOCIATES_WITH,
        "Seen in his car on Canal Side by an officer on patrol.",
        first_seen=40,
        last_seen=12,
    )
    link(
        police,
        child_b,
        hotel,
        LinkKind.SEEN_AT,
        "Hotel staff saw the child in the foyer with two adult men.",
        first_seen=20,
        last_seen=20,
    )
    link(
        social_worker,
        child_c,
        penn,
        LinkKind.ASSOCIATES_WITH,
        "The child names him as a friend who gives lifts.",
        confidence=Confidence.POSSIBLE,
        first_seen=30,
    )
    link(
        social_worker,
        child_c,
        takeaway,
        LinkKind.SEEN_AT,
        "Youth worker sees the child there most evenings.",
        first_seen=30,
        last_seen=2,
    )
    link(
        police,
        tolson,
        car,
        LinkKind.USES,
        "Registered keeper; stopped driving it twice.",
        confidence=Confidence.CONFIRMED,
        first_seen=200,
    )
    link(
        police,
        tolson,
        taxi_firm,
        LinkKind.WORKS_AT,
        "Licensed driver for the firm (licensing records).",
        confidence=Confidence.CONFIRMED,
        first_seen=400,
    )
    link(police, tolson, snapchat, LinkKind.USES, "Account named by two children; same phone number.")
    link(social_worker, tolson, group, LinkKind.MEMBER_OF, "Seen with the group at the takeaway by youth workers.")
    link(social_worker, penn, group, LinkKind.MEMBER_OF, "Seen with the group at the takeaway by youth workers.")
    link(
        social_worker,
        penn,
        takeaway,
        LinkKind.SEEN_AT,
        "Regularly outside the takeaway in the evening.",
        first_seen=60,
        last_seen=2,
    )
    link(
        police,
        brindley,
        tolson,
        LinkKind.ASSOCIATES_WITH,
        "Intelligence report: directs the drivers.",
        restricted=True,
        confidence=Confidence.UNVERIFIED,
    )
    link(
        police,
        brindley,
        hotel,
        LinkKind.WORKS_AT,
        "Intelligence report: books rooms under another name.",
        restricted=True,
        confidence=Confidence.UNVERIFIED,
    )

    entity_flag_for_disruption(
        entity=group,
        by=social_worker,
        flagged=True,
        based_on_version=None,
        reason="Children seen with the group most evenings; lifts offered at the takeaway.",
    )
    entity_flag_for_disruption(
        entity=hotel,
        by=police,
        flagged=True,
        based_on_version=None,
        reason="Two children found there with adult men: licensing visit and staff training.",
    )

    # entity_record makes the kind's own record: a Location, a PersonOfConcern.
    assert isinstance(hotel, Location) and isinstance(takeaway, Location) and isinstance(tolson, PersonOfConcern)
    interviewer = "Bea Norton, Barnardo's"
    # Three episodes in 90 days: the strategy discussion's child is flagged on the case page and the daily review.
    for days_ago, hours, found_at, where, interviewed in (
        (70, 9, None, "Walked home the next morning", True),
        (35, 20, hotel, "Found at the hotel by a patrol", True),
        (6, 14, None, "Found in town by police after a call from a taxi driver", False),
    ):
        started = now - timedelta(days=days_ago)
        missing_episode_record(
            child=missing_often,
            by=police,
            given=EpisodeInput(
                started_at=started,
                ended_at=started + timedelta(hours=hours),
                where_found=where,
                found_at=found_at,
                return_interview_done=interviewed,
                return_interview_on=(started + timedelta(days=2)).date() if interviewed else None,
                return_interview_by=interviewer if interviewed else "",
                linked=[tolson],
            ),
        )
    # Twice: known, not yet flagged.
    for days_ago, found_at, where in ((50, takeaway, "Outside the takeaway"), (20, None, "At a friend's")):
        started = now - timedelta(days=days_ago)
        missing_episode_record(
            child=seen_in_car,
            by=social_worker,
            given=EpisodeInput(
                started_at=started,
                ended_at=started + timedelta(hours=7),
                where_found=where,
                found_at=found_at,
                return_interview_done=True,
                return_interview_on=(started + timedelta(days=1)).date(),
                return_interview_by=interviewer,
            ),
        )

    investigation = investigation_open(
        by=ds,
        reference="Operation Kestrel (demo)",
        summary="Exploitation of a child given lifts by a taxi driver and taken to a hotel.",
        opened_on=today - timedelta(days=30),
        lead_officer=ds,
        children=[missing_often],
        perpetrators=[tolson],
    )
    prosecution_record(
        by=ds,
        perpetrator=tolson,
        charges="Child abduction (Child Abduction Act 1984, section 2); sexual communication with a child.",
        charged_on=today - timedelta(days=10),
        court="Crown Court",
        investigation=investigation,
    )
    disruption_record(
        by=police,
        kind=DisruptionKind.CAWN,
        target=tolson,
        child=missing_often,
        taken_on=today - timedelta(days=28),
        expires_on=today - timedelta(days=28) + timedelta(days=730),
        details="Served in person at his home address; he was told to stay away from the child.",
    )
