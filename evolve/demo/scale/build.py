"""The scale data set itself: ten years of a force area's contacts, referrals, cases, meetings, mapping and access.

Each child is followed through their referrals in time order, each referral along the state machine as the services
would take it (the same rows, summaries, chronology entries, clocks, grants and access-log rows), and stopped where
"now" falls: so the referrals still in a queue are the ones that arrived in the last day or two, as in a real front
door, and everything older is decided or closed. A child whose referral the team decided to open becomes a case, with
its allocations, notes, risk assessments, weekly meetings and mapping around them.

Rows are written as COPY text through evolve.demo.scale.load, never through the ORM."""

from __future__ import annotations

import random
from array import array
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from zlib import crc32

from evolve.cases.models import AllocationRole, DecisionKind
from evolve.clock.services import deadline_due
from evolve.demo.scale import words
from evolve.demo.scale.load import DAY, HOUR, MINUTE, NULL, Chain, Loader, Table, day, text, ts, us_of
from evolve.demo.scale.timeline import Calendar
from evolve.demo.scale.world import Area, Person
from risk.models import Answer, Seen
from risk.scoring import ScreenedAnswer, suggest

YEAR = 365 * DAY
VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
WEEK = 7 * DAY

COLUMNS = {
    "people_child": "id, public_id, first_name, middle_names, last_name, date_of_birth, estimated_age, "
    "age_estimated_on, gender, ethnicity, school, looked_after_status, looked_after_by, search_names, created_at, "
    "updated_at, version, created_by_id, open_to_team_id, restricted_to_agency_id",
    "people_childaddress": "id, child_id, line_1, line_2, town, postcode, lived_from, lived_to",
    "people_childidentifier": "id, child_id, agency_id, system, value",
    "people_childalias": "id, child_id, name, kind",
    "access_childuserobjectpermission": "id, content_object_id, permission_id, user_id",
    "access_informationshare": "id, child_id, what, source_type, source_id, to_user_id, to_agency_id, "
    "lawful_basis, consent, reason_without_consent, decided_by_id, decided_by_agency_id, decided_at",
    "referrals_referral": "id, public_id, form, state, version, child_id, child_first_name, child_last_name, "
    "child_date_of_birth, child_address, child_school, known_to_agencies, referrer_id, referrer_agency_id, "
    "referrer_role, referrer_phone, referrer_email, concern, urgency, consent, consent_reason, catalogue_version_id, "
    "submitted_at, screening_notes, threshold, rag_1, rag_1_rationale, rag_2, rag_2_rationale, intervention, "
    "co_allocated_at, team_id, outcome, outcome_letter, created_at, updated_at",
    "referrals_referralevent": "id, referral_id, at, user_id, agency_id, transition, summary, rationale, "
    "state_from, state_to",
    "referrals_referral_indicators": "id, referral_id, indicator_id",
    "referrals_mashcheck": "id, referral_id, agency_id, by_id, at, holds_information, summary",
    "referrals_clarification": "id, referral_id, question, asked_by_id, asked_at, answer, answered_at",
    "clock_deadline": "id, kind, unit, amount, subject_type, subject_id, started_at, due_at, paused_at, "
    "pause_reason, paused_for, met_at, breached_at, breach_reason, breach_reason_by_id, breach_reason_at, created_at",
    "cases_case": "id, public_id, child_id, team_id, version, opened_at, opened_by_id, closed_at, closure_reason, "
    "case_holder_id, key_individual_id, key_individual_name, key_individual_organisation, risk_level, "
    "next_review_on, awaiting_ra_meeting_since, urgent_cin_since",
    "cases_casestatuschange": "id, case_id, change, at, by_id, reason",
    "cases_allocation": "id, public_id, case_id, user_id, role, start_on, end_on, created_by_id, created_at",
    "cases_agencycheck": "id, public_id, referral_id, agency_id, owner_id, due_at, question, requested_by_id, "
    "requested_at, answered_at, answered_by_id, holds_information, answer",
    "cases_decisionview": "id, referral_id, seat, by_id, at, kind, rationale, advice",
    "cases_escalation": "id, public_id, referral_id, raised_by_id, raised_at, note, resolved_at, resolved_by_id",
    "cases_escalation_agencies": "id, escalation_id, agency_id",
    "cases_decision": "id, public_id, referral_id, case_id, kind, rationale, team_manager_view_id, "
    "detective_sergeant_view_id, escalation_id, decided_at, decided_by_id, letter",
    "cases_casenote": "id, public_id, case_id, author_id, agency_id, written_at, text, restricted_to_agency_id",
    "cases_childwords": "id, public_id, case_id, kind, words, said_on, context, recorded_by_id, recorded_at",
    "risk_riskassessment": "id, public_id, child_id, team_id, catalogue_version_id, previous_id, version, "
    "assessed_on, recorded_by_id, recorded_at, summary, suggested_level, score, age_at_assessment, "
    "young_child_high_risk, cin_factors, next_review_on, agreed_level, agreed_rationale, agreed_at, agreed_by_id, "
    "agreed_where, reviewed_at, reviewed_by_id, review_comment",
    "risk_indicatoranswer": "id, assessment_id, indicator_id, answer, seen, evidence, source_agency_id",
    "meetings_meeting": "id, public_id, team_id, kind, starts_at, place, chair_id, chair_seat, decision_id, version, "
    "created_by_id, created_at, closed_at, closed_by_id, minutes_wanted, minutes_failed_at",
    "meetings_agendaitem": 'id, public_id, meeting_id, child_id, team_id, source, reason, "order", version, '
    "discussion, assessment_id, agreed_level, agreed_rationale, mapping_items, disagreement, escalated_to_agency_id, "
    "escalated_at, escalation_outcome, escalation_resolved_at, escalation_resolved_by_id, updated_at",
    "meetings_attendance": "id, meeting_id, agency_id, user_id, name, role, present",
    "meetings_action": "id, public_id, item_id, description, owner_id, due_on, created_by_id, created_at, done_at",
    "mapping_entity": "id, public_id, kind, team_id, child_id, label, search_text, restricted_to_agency_id, "
    "flagged_for_disruption, flag_reason, flagged_at, flagged_by_id, notes, created_at, created_by_id, updated_at, "
    "version",
    "mapping_personofconcern": "entity_ptr_id, first_name, last_name, aliases, date_of_birth, description, identifiers",
    "mapping_location": "entity_ptr_id, location_type, name, address, postcode, latitude, longitude",
    "mapping_vehicle": "entity_ptr_id, registration, registration_normalised, make, model, colour",
    "mapping_group": "entity_ptr_id, name, description",
    "mapping_onlineidentity": "entity_ptr_id, platform, handle, handle_normalised",
    "mapping_link": "id, public_id, team_id, a_id, b_id, kind, first_seen_on, last_seen_on, source_agency_id, "
    "confidence, evidence, restricted_to_agency_id, created_at, created_by_id, updated_at, updated_by_id, version, "
    "withdrawn_at, withdrawn_by_id, withdrawn_reason, child_place",
    "mapping_missingepisode": "id, public_id, child_id, team_id, started_at, ended_at, where_found, found_at_id, "
    "return_interview_done, return_interview_on, return_interview_by, notes, created_at, created_by_id, updated_at, "
    "version",
    "mapping_missingepisode_linked": "id, missingepisode_id, entity_id",
    "chronology_chronologyentry": "id, child_id, occurred_at, recorded_at, user_id, agency_id, kind, summary, "
    "rationale, source_type, source_id, restricted_to_agency_id, prev_hash, hash",
    "audit_accesslogentry": 'id, at, user_id, agency_id, child_id, action, what, "where", prev_hash, hash',
}
ID_TABLES = [name for name, columns in COLUMNS.items() if columns.startswith("id,")]

RAG_TIMESCALE = {"red": ("hours", 24), "amber": ("working_days", 3), "green": ("working_days", 10)}
INTERVENTION_LABEL = {
    "early_help": "Early help",
    "section_17": "Section 17 (child in need)",
    "section_47": "Section 47 (child protection enquiry)",
}
SHARE_REASON = "They need it to plan support for the child; seeking consent could alert the suspect."
SEAT_LABEL = {"team_manager": "Team manager", "detective_sergeant": "Detective sergeant"}
ALLOCATION_LABEL = {role.value: role.label for role in AllocationRole}
KIND_LABEL = {kind.value: kind.label for kind in DecisionKind}
LEVEL_LABEL = {"no_apparent_risk": "No apparent risk", "low": "Low", "medium": "Medium", "high": "High"}
OPENING = ("risk_assessment_meeting", "strategy_discussion", "urgent_cin")
ADVICE = ("referrer_advice", "early_help_advice")
ADVICE_TEXT = {
    "referrer_advice": "Keep talking with the child about safe relationships online; refer again if you see new "
    "signs, such as gifts, older friends or missing episodes.",
    "early_help_advice": "Please complete an Early Help Assessment with the family and the school, and invite the "
    "school nurse.",
}
ETHNICITIES = ["WBRI"] * 14 + ["APKN", "APKN", "MWBC", "MOTH", "WOTH", "BAFR", "AOTH", "WROM", "NOBT"]
CIN_FACTORS = ("10A", "11A", "24A", "2A", "4A", "13A", "15A")
LINK_KINDS = {
    "person": ("exploited_by", "associates_with", "associates_with", "contacted_by"),
    "location": ("seen_at", "seen_at", "lives_at"),
    "vehicle": ("transported_in",),
    "group": ("member_of",),
    "online_identity": ("contacted_by",),
}
KIND_NOUN = {
    "person": "person of concern",
    "location": "location",
    "vehicle": "vehicle",
    "group": "group",
    "online_identity": "online identity",
    "child": "child",
}
LINK_LABEL = {
    "associates_with": "associates with",
    "seen_at": "seen at",
    "exploited_by": "exploited by",
    "transported_in": "transported in",
    "member_of": "member of",
    "lives_at": "lives at",
    "works_at": "works at or runs",
    "uses": "uses (vehicle, online identity)",
    "contacted_by": "contacted by",
    "related_to": "related to",
}
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's inward part may end with


def postcode(area: Area, line_1: str) -> str:
    """The postcode of a house: houses of a street share one in blocks of fifteen numbers, as on a real street, so a
    postcode holds about fifteen addresses (the review queue's same-address lookup reads what a real area would)."""
    number, street = line_1.split(" ", 1)
    code = crc32(street.encode()) * 11 + int(number) // 15
    letters = POSTCODE_LETTERS[code // 9 % 20] + POSTCODE_LETTERS[code // 180 % 20]
    return f"S{60 + area.index} {1 + code % 9}{letters}"


LOCATION_TYPES = (
    ["home_address"] * 5
    + ["hotel"] * 2
    + ["takeaway"] * 3
    + ["taxi_firm", "licensed_premises", "licensed_premises", "park", "park", "school", "shop", "shop", "transport"]
    + ["other"]
)


@dataclass(frozen=True)
class Targets:
    """How many of each the data set holds. `at(1.0)` is the issue's force area over ten years."""

    children: int
    referrals: int
    cases: int
    advice_children: int
    people_of_concern: int
    locations: int
    vehicles: int
    groups: int
    online_identities: int
    links: int
    missing_episodes: int
    access_log: int
    referrers_per_area: int
    queue_floor: float  # the least a team's queue at each stage holds, as a share of the full data set's floor

    @classmethod
    def at(cls, scale: float) -> Targets:
        def n(full: int, least: int = 1) -> int:
            return max(least, round(full * scale))

        return cls(
            children=n(250_000, 24),
            referrals=n(1_000_000, 100),
            cases=n(20_000, 12),
            advice_children=n(30_000, 12),
            people_of_concern=n(50_000, 12),
            locations=n(70_000, 12),
            vehicles=n(30_000, 12),
            groups=n(1_500, 12),
            online_identities=n(5_000, 12),
            links=n(500_000, 50),
            missing_episodes=n(20_000, 12),
            access_log=n(5_000_000, 200),
            referrers_per_area=max(4, round(150 * scale**0.5)),
            queue_floor=min(1.0, scale**0.5),
        )


# The least each team's queues hold at every stage (full data set): the front door's daily work.
QUEUE_FLOORS = {"submitted": 25, "awaiting_clarification": 5, "logged": 25, "screened": 20, "with_mash": 20}
REVIEW_FLOOR = 20
DRAFT_FLOOR = 10
# How long ago (office hours, roughly) a referral waiting at each stage arrived: long enough for its steps so far.
TOP_UP_AGE = {
    "draft": (0.5, 20),
    "submitted": (1, 30),
    "awaiting_clarification": (2, 30),
    "logged": (5, 40),
    "screened": (10, 50),
    "with_mash": (15, 60),
    "co_allocated": (20, 70),
}


@dataclass
class ChildPlan:
    id: int
    area: int
    t0: int
    public_id: str = ""
    first: str = ""
    last: str = ""
    dob: int | None = None  # days since 1970
    school: str = ""
    address: str = ""
    restricted: bool = False
    kind: str = "contact"  # contact, advice or case
    referrals: int = 1
    created_at: int = 0
    creator: Person | None = None
    open_to_team: bool = False
    entity: int | None = None


Event = tuple[int, Person, str, str, str, str, str]  # at, by, transition, summary, rationale, from, to


@dataclass
class Flow:
    """Where one referral got to by now, for the child's pass to follow on from."""

    referral: int
    referrer: Person
    logged_at: int | None = None
    co_allocated_at: int | None = None
    decided_at: int | None = None
    decision: int | None = None
    kind: str = ""
    decider: Person | None = None
    rationale: str = ""
    letter: str = ""
    views: dict[str, int] = field(default_factory=dict)
    escalation: int | None = None


@dataclass(frozen=True)
class Screening:
    """A risk assessment's screening, as risk.scoring.suggest scored it."""

    id: int
    level: str
    score: int
    age: int
    young: bool
    by: Person
    summary: str


@dataclass
class Meeting:
    id: int
    area: int
    starts_at: int
    chair: Person
    seat: str
    kind: str = "weekly"
    decision: int | None = None
    closed: bool = True
    items: int = 0
    children: set[int] = field(default_factory=set)


class Picker:
    """Weighted choices from a fixed population, cheaply, many times."""

    def __init__(self, population: Sequence[int], weights: Sequence[float]) -> None:
        self.population = list(population)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1] if self.cumulative else 0.0

    def __bool__(self) -> bool:
        return bool(self.population)

    def pick(self, rng: random.Random) -> int:
        return self.population[bisect_left(self.cumulative, rng.random() * self.total)]


def zipf_weights(count: int, exponent: float = 0.8) -> list[float]:
    """A few records linked to many children, most to one or two: what a real network looks like."""
    return [1.0 / (rank + 1) ** exponent for rank in range(count)]


class Builder:
    def __init__(
        self,
        *,
        loader: Loader,
        areas: list[Area],
        targets: Targets,
        rng: random.Random,
        now: int,
        indicators: list[tuple[int, str, bool]],
        catalogue_version: int,
        view_permission: int,
        say: Callable[[str], None],
    ) -> None:
        self.loader, self.areas, self.targets, self.rng, self.now, self.say = loader, areas, targets, rng, now, say
        self.indicators = indicators  # (id, code, is high risk) in the current catalogue
        self.catalogue_version = catalogue_version
        self.view_permission = view_permission
        self.cal = Calendar()
        self.start = now - 10 * YEAR
        self.today = self.cal.local_date(now)
        self.t: dict[str, Table] = {name: loader.table(name, columns) for name, columns in COLUMNS.items()}
        self.chronicle = Chain(loader.last_hash("chronology_chronologyentry"))
        self.access_chain = Chain(loader.last_hash("audit_accesslogentry"))
        self.access: dict[int, list[str]] = {}  # rows by month, sorted by time and chained at the end
        self.access_count = 0
        self.children: list[ChildPlan] = []
        self.grants: set[tuple[int, int]] = set()  # (user, child) granted by guardian
        self.meetings: dict[tuple[int, int], Meeting] = {}  # (area, week) -> the weekly meeting
        self.other_meetings: list[Meeting] = []
        self.entities: dict[tuple[int, str], list[int]] = {}  # (area, kind) -> entity ids
        self.entity_pickers: dict[tuple[int, str], Picker] = {}
        self.restricted_entities: set[int] = set()
        self.links: set[tuple[int, int, int, str]] = set()  # (team, low id, high id, kind)
        self.child_links = 0
        # For the access log's filler: (referral, child, area, from, to) and (case, child, area, from, to).
        self.seen_referrals: list[array[int]] = [array("q") for _ in range(5)]
        self.seen_cases: list[array[int]] = [array("q") for _ in range(5)]
        self.live: dict[tuple[int, str], int] = {}  # (area, state) -> referrals in that state now
        self.case_notes: dict[int, list[int]] = {}  # a case's latest notes, for the case page's access-log rows
        self.referrer_pickers = {
            area.index: Picker(range(len(area.referrers)), area.referrer_weights) for area in areas
        }

    # Small helpers ---------------------------------------------------------------------------------------------------

    def uuid(self) -> str:
        """A random (version 4) UUID from the seeded generator, so the same seed makes the same ids."""
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{VARIANT[h[16]]}{h[17:20]}-{h[20:]}"

    def prompt(self, moment: int, low: float, high: float, clock_from: int, within: float) -> int:
        """A step in office hours, unless that would miss a clock of `within` hours started at `clock_from`: then
        whoever is on duty takes it, out of hours if need be (so most clocks are met and a few are missed)."""
        step = self.cal.after(moment, self.rng, low, high)
        if step - clock_from <= within * HOUR or self.rng.random() < 0.04:
            return step
        return max(moment, clock_from) + int(
            self.rng.uniform(0.1, 1) * max(0.5, within - (moment - clock_from) / HOUR) * HOUR
        )

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def area_of(self, child: ChildPlan) -> Area:
        return self.areas[child.area]

    def practitioner(self, area: Area, role: str | None = None) -> Person:
        role = role or self.rng.choice(list(area.practitioners))
        return self.rng.choice(area.practitioners[role])

    def member(self, area: Area) -> Person:
        return self.rng.choice(area.members)

    def chronology(
        self,
        child: int,
        occurred: int,
        by: Person,
        kind: str,
        summary: str,
        source_type: str,
        source_id: int,
        *,
        rationale: str = "",
        recorded: int | None = None,
        restricted: int | None = None,
    ) -> None:
        """One entry, chained now: as evolve.chronology.services.chronology_record writes it."""
        entry = self.loader.ids("chronology_chronologyentry")
        recorded = occurred if recorded is None else recorded
        summary = summary[:300]
        agency = "" if by.agency is None else str(by.agency)
        restricted_text = "" if restricted is None else str(restricted)
        at, when = ts(occurred), ts(recorded)
        # The canonical text (evolve.audit.chain): each field as "<length>:<text>"; a timestamp is 27 characters.
        entry_text, child_text, user_text, source_text = str(entry), str(child), str(by.id), str(source_id)
        canonical = (
            f"{len(entry_text)}:{entry_text}\x1f{len(child_text)}:{child_text}\x1f27:{at}\x1f27:{when}\x1f"
            f"{len(user_text)}:{user_text}\x1f{len(agency)}:{agency}\x1f{len(kind)}:{kind}\x1f"
            f"{len(summary)}:{summary}\x1f{len(rationale)}:{rationale}\x1f{len(source_type)}:{source_type}\x1f"
            f"{len(source_text)}:{source_text}\x1f{len(restricted_text)}:{restricted_text}"
        )
        prev, this = self.chronicle.next(canonical)
        self.t["chronology_chronologyentry"].line(
            f"{entry}\t{child}\t{at}\t{when}\t{by.id}\t{agency or NULL}\t{kind}\t{text(summary)}\t{text(rationale)}\t"
            f"{source_type}\t{source_id}\t{restricted_text or NULL}\t{prev}\t{this}"
        )

    def accessed(self, at: int, by: Person, child: int, action: str, what: str, where: str) -> None:
        """An access-log row, kept until the end so the log is written in time order."""
        bucket = self.access.get(at // (30 * DAY))
        if bucket is None:
            bucket = self.access[at // (30 * DAY)] = []
        agency = "" if by.agency is None else str(by.agency)
        bucket.append(f"{at:017d}\x1e{by.id}\x1e{agency}\x1e{child}\x1e{action}\x1e{what[:500]}\x1e{where}")
        self.access_count += 1

    def grant(self, user: Person, child: int) -> bool:
        """A guardian grant of the child's record, unless the user holds one already (as child_access_grant)."""
        if (user.id, child) in self.grants:
            return False
        self.grants.add((user.id, child))
        return True

    def share(
        self,
        *,
        child: int,
        at: int,
        by: Person,
        what: str,
        to: Person,
        lawful_basis: str,
        reason: str,
        source_type: str,
        source_id: int,
    ) -> None:
        self.t["access_informationshare"].add(
            self.loader.ids("access_informationshare"),
            child,
            what[:300],
            source_type,
            source_id,
            to.id,
            None,
            lawful_basis,
            "not_sought",
            reason,
            by.id,
            by.agency,
            ts(at),
        )

    def deadline(
        self,
        *,
        kind: str,
        unit: str,
        amount: int,
        subject_type: str,
        subject_id: int,
        started: int,
        met: int | None,
        reason_by: Person | None = None,
    ) -> None:
        """A clock started at `started` and met at `met` (None: still running now). Met late, or running past its
        due time, it is stamped breached, as deadline_meet and the breach sweep do; some late ones have a reason."""
        if unit == "hours":
            due = started + amount * HOUR
        elif self.cal.in_hours(started, self.rng) == started:
            due = self.cal.add_working_days(started, amount)
        else:  # started out of office hours (a referral sent at the weekend): the clock's own rule
            due = us_of(deadline_due(unit=unit, amount=amount, started_at=datetime.fromisoformat(ts(started))))
        late = (met is not None and met > due) or (met is None and self.now > due)
        reason_at = None
        reason = ""
        if late and reason_by is not None and self.chance(0.5):
            reason_at = self.cal.after(max(due, met or due), self.rng, 1, 30)
            if reason_at <= self.now:
                reason = "Waiting for another agency's information; the family could not be seen sooner."
            else:
                reason_at = None
        self.t["clock_deadline"].add(
            self.loader.ids("clock_deadline"),
            kind,
            unit,
            amount,
            subject_type,
            subject_id,
            ts(started),
            ts(due),
            None,
            "",
            "00:00:00",
            None if met is None else ts(met),
            ts(due) if late else None,
            reason,
            reason_by.id if reason_at is not None and reason_by is not None else None,
            None if reason_at is None else ts(reason_at),
            ts(started),
        )

    # The plan --------------------------------------------------------------------------------------------------------

    def plan(self) -> None:
        """Who the children are, when each first came to notice, and which become cases or get advice."""
        rng, targets = self.rng, self.targets
        first_id = self.loader.ids("people_child", targets.children)
        latest = self.now - 5 * DAY
        for index in range(targets.children):
            # A little more each year: the team's work has grown since it began.
            t0 = self.start + int((latest - self.start) * rng.random() ** 0.85)
            child = ChildPlan(id=first_id + index, area=rng.randrange(len(self.areas)), t0=t0)
            child.restricted = rng.random() < 0.02
            self.children.append(child)
        eligible = [c for c in self.children if not c.restricted and c.t0 < self.now - 60 * DAY]
        chosen = rng.sample(eligible, min(len(eligible), targets.cases + targets.advice_children))
        for child in chosen[: targets.cases]:
            child.kind = "case"
        for child in chosen[targets.cases :]:
            child.kind = "advice"
        referred = [c for c in self.children if not c.restricted]
        for child in referred:
            child.referrals = 2 if child.kind == "case" else 1
        extra = targets.referrals - sum(c.referrals for c in referred) - self._expected_top_ups()
        if extra > 0 and referred:
            weight = {"case": 4.0, "advice": 2.0, "contact": 1.0}
            picker = Picker(range(len(referred)), [weight[c.kind] for c in referred])
            for _ in range(extra):
                referred[picker.pick(rng)].referrals += 1

    def _expected_top_ups(self) -> int:
        floor = self.targets.queue_floor
        per_area = sum(round(n * floor) for n in QUEUE_FLOORS.values()) + round((REVIEW_FLOOR + DRAFT_FLOOR) * floor)
        return per_area * len(self.areas) // 2  # about half are there already, left by the referrals' own flow

    # Mapping records (before the children, who are linked to them) --------------------------------------------------

    def mapping_records(self) -> None:
        rng, targets = self.rng, self.targets
        counts = {
            "person": targets.people_of_concern,
            "location": targets.locations,
            "vehicle": targets.vehicles,
            "group": targets.groups,
            "online_identity": targets.online_identities,
        }
        for kind, total in counts.items():
            for index in range(total):
                area = self.areas[index % len(self.areas)]
                self._entity(area, kind)
        for (area_index, kind), ids in self.entities.items():
            rng.shuffle(ids)
            # Places draw many children (a shopping centre, a takeaway); a person of concern is linked to a few
            # children, the worst to several dozen over the ten years.
            exponent = 0.8 if kind == "location" else 0.5
            self.entity_pickers[(area_index, kind)] = Picker(ids, zipf_weights(len(ids), exponent))

    def _entity(self, area: Area, kind: str) -> None:
        rng = self.rng
        entity = self.loader.ids("mapping_entity")
        police = self.practitioner(area, AllocationRole.POLICE_INVESTIGATION.value)
        by = police if rng.random() < 0.7 else self.member(area)
        restricted = area.police if by.agency == area.police and rng.random() < 0.06 else None
        created = self.start + rng.randrange(self.now - self.start - DAY)
        if kind == "person":
            male = rng.random() < 0.85
            first = rng.choice(words.ADULT_MEN if male else words.ADULT_WOMEN)
            last = rng.choice(words.SURNAMES)
            aliases = [rng.choice(words.NICKNAMES)] if rng.random() < 0.3 else []
            born = self.cal.local_date(created) - rng.randrange(18 * 365, 55 * 365)
            label = f"{first} {last}" + (f" ({', '.join(aliases)})" if aliases else "")
            search = " | ".join([f"{first} {last}".lower(), *(a.lower() for a in aliases)])
            identifiers = f"PNC SCALE/{entity:07d}" if rng.random() < 0.4 else ""
            self.t["mapping_personofconcern"].add(
                entity,
                first,
                last,
                "{" + ",".join(aliases) + "}",
                day(born) if rng.random() < 0.6 else None,
                rng.choice(words.DESCRIPTIONS),
                identifiers,
            )
        elif kind == "location":
            place = rng.choice(LOCATION_TYPES)
            street = f"{rng.randint(1, 200)} {rng.choice(words.STREET_NAMES)}"
            name = "" if place == "home_address" else f"{rng.choice(words.STREET_NAMES).split()[0]} "
            name += "" if place == "home_address" else rng.choice(words.LOCATION_NAMES[place])
            address = f"{street}, {area.town}"
            place_postcode = postcode(area, street)
            latitude = area.centre[0] + rng.gauss(0, 0.02)
            longitude = area.centre[1] + rng.gauss(0, 0.03)
            label = ", ".join(part for part in (name, address, place_postcode) if part)
            search = " | ".join(part.lower() for part in (name, address, place_postcode) if part)
            self.t["mapping_location"].add(
                entity, place, name, address, place_postcode, f"{latitude:.6f}", f"{longitude:.6f}"
            )
        elif kind == "vehicle":
            make, model = rng.choice(words.VEHICLES)
            colour = rng.choice(words.COLOURS)
            registration = f"ZZ{rng.randint(10, 75)} {''.join(rng.choice('ABCDEFGHJKLMNPRSTUVWXY') for _ in range(3))}"
            normalised = registration.replace(" ", "")
            label = f"{registration} ({colour} {make} {model})"
            search = f"{normalised.lower()} | {make.lower()} | {model.lower()}"
            self.t["mapping_vehicle"].add(entity, registration, normalised, make, model, colour)
        elif kind == "group":
            name = f"The {rng.choice(words.STREET_NAMES).split()[0]} {rng.choice(words.GROUP_NAMES)}"
            label, search = name, name.lower()
            self.t["mapping_group"].add(entity, name, "Older teenagers and young men who give children lifts.")
        else:
            platform = rng.choice(words.PLATFORMS)
            handle = f"@{rng.choice(words.ADULT_MEN).lower()}_{entity}"
            label, search = f"{handle} on {platform}", f"{handle[1:]} | {platform.lower()}"
            self.t["mapping_onlineidentity"].add(entity, platform, handle, handle[1:])
        flagged = kind in ("group", "location") and rng.random() < 0.03
        self.t["mapping_entity"].add(
            entity,
            self.uuid(),
            kind,
            area.team,
            None,
            label[:300],
            search,
            restricted,
            flagged,
            "Children seen here often: passed to the Intelligence Sharing Meeting." if flagged else "",
            ts(created + DAY) if flagged else None,
            by.id if flagged else None,
            "",
            ts(created),
            by.id,
            ts(created + DAY if flagged else created),
            2 if flagged else 1,
        )
        self.entities.setdefault((area.index, kind), []).append(entity)
        if restricted is not None:
            self.restricted_entities.add(entity)

    # The children ----------------------------------------------------------------------------------------------------

    def children_pass(self, progress: Callable[[int], None]) -> None:
        for number, child in enumerate(self.children):
            self._child(child)
            if number % 20_000 == 19_999:
                progress(number + 1)

    def _child(self, child: ChildPlan) -> None:
        rng = self.rng
        area = self.area_of(child)
        child.public_id = self.uuid()
        girl = rng.random() < 0.65
        child.first = rng.choice(words.GIRLS if girl else words.BOYS)
        child.last = rng.choice(words.SURNAMES)
        age_days = rng.randrange(10 * 365, 17 * 365)
        child.dob = self.cal.local_date(child.t0) - age_days
        child.school = f"{area.town} {rng.choice(words.SCHOOL_KINDS)}"
        child.address = f"{rng.randint(1, 150)} {rng.choice(words.STREET_NAMES)}, {area.town}"
        if child.restricted:
            child.creator = self.practitioner(area, AllocationRole.POLICE_INVESTIGATION.value)
            child.created_at = self.cal.in_hours(child.t0, rng)
            child.open_to_team = True
            self.accessed(
                child.created_at, child.creator, child.id, "created", "new record", "POST people:child-create"
            )
        else:
            self._referrals(child, area)
        self._child_row(child, area, girl)
        if child.kind != "contact" or child.restricted:
            self._mapping_around(child, area)

    def _child_row(self, child: ChildPlan, area: Area, girl: bool) -> None:
        rng, t = self.rng, self.t
        assert child.creator is not None
        estimated = rng.random() < 0.04
        middle = rng.choice(words.MIDDLE_NAMES) if rng.random() < 0.3 else ""
        aliases = [rng.choice(words.NICKNAMES)] if rng.random() < 0.08 else []
        names = " ".join(f"{child.first} {middle} {child.last}".lower().split())
        search = " | ".join([names, *(alias.lower() for alias in aliases)])
        created_day = self.cal.local_date(child.created_at)
        assert child.dob is not None
        age = (created_day - child.dob) // 365
        t["people_child"].add(
            child.id,
            child.public_id,
            child.first,
            middle,
            child.last,
            None if estimated else day(child.dob),
            age if estimated else None,
            day(created_day) if estimated else None,
            "girl" if girl else "boy",
            rng.choice(ETHNICITIES),
            child.school,
            "not_looked_after" if rng.random() < 0.85 else rng.choice(("care_order", "section_20")),
            "",
            search,
            ts(child.created_at),
            ts(child.created_at),
            2 if child.open_to_team and not child.restricted else 1,
            child.creator.id,
            area.team if child.open_to_team else None,
            area.police if child.restricted else None,
        )
        for alias in aliases:
            t["people_childalias"].add(self.loader.ids("people_childalias"), child.id, alias, "nickname")
        moved_in = created_day - rng.randrange(30, 3000)
        if rng.random() < 0.2:
            earlier = moved_in - rng.randrange(200, 2000)
            previous = f"{rng.randint(1, 150)} {rng.choice(words.STREET_NAMES)}"
            t["people_childaddress"].add(
                self.loader.ids("people_childaddress"),
                child.id,
                previous,
                "",
                area.town,
                postcode(area, previous),
                day(earlier),
                day(moved_in),
            )
        line_1, _ = child.address.split(", ", 1)
        t["people_childaddress"].add(
            self.loader.ids("people_childaddress"),
            child.id,
            line_1,
            "",
            area.town,
            postcode(area, line_1),
            day(moved_in),
            None,
        )
        t["people_childidentifier"].add(
            self.loader.ids("people_childidentifier"),
            child.id,
            area.csc,
            "social_care",
            f"SC-{area.index:02d}-{child.id:07d}",
        )
        self.accessed(
            child.created_at + MINUTE,
            child.creator,
            child.id,
            "updated",
            "added an identifier",
            "POST people:child-detail",
        )
        if rng.random() < 0.4:
            t["people_childidentifier"].add(
                self.loader.ids("people_childidentifier"),
                child.id,
                area.health,
                "nhs_number",
                f"999 {child.id % 1000:03d} {child.id // 1000 % 10000:04d}",
            )

    def _referrals(self, child: ChildPlan, area: Area) -> None:
        """The child's referrals in time order, the first of which the SPOC logs by recording the child."""
        rng = self.rng
        # Spread over a stretch that grows with how often the child is referred, never past yesterday.
        end = min(self.now - DAY, child.t0 + (child.referrals - 1) * 200 * DAY)
        times = [
            child.t0,
            *sorted(child.t0 + rng.randrange(max(1, end - child.t0)) for _ in range(child.referrals - 1)),
        ]
        fates = ["triage" if rng.random() < 0.68 else "mash" for _ in times]
        if child.kind == "case":
            older = [i for i, when in enumerate(times) if when < self.now - 4 * DAY]
            opening = rng.choice(older) if older else 0
            fates[opening] = "case"
            later = list(range(opening + 1, len(times)))
            if later and rng.random() < 0.25:
                fates[rng.choice(later)] = "advice"
        elif child.kind == "advice":
            fates[rng.randrange(len(times))] = "advice"
        case_flow: Flow | None = None
        for position, (when, fate) in enumerate(zip(times, fates, strict=True)):
            flow = self._referral(child, area, when, fate, first=position == 0)
            if fate == "case" and flow.decided_at is not None:
                case_flow = flow
        if case_flow is not None:
            self._case(child, area, case_flow)

    # A referral along the pathway ------------------------------------------------------------------------------------

    def _referral(
        self,
        child: ChildPlan | None,
        area: Area,
        when: int,
        fate: str,
        *,
        first: bool = False,
        described: ChildPlan | None = None,
        stop: str = "",
        pace: float = 1.0,
    ) -> Flow:
        """One referral from the referrer's draft to where it stands now (see the module's note). `child` is None
        for a contact the SPOC has not logged yet; the first referral of a child records the child. With `stop`, the
        referral waits at that state (a queue's daily work), its steps `pace` times as far apart as usual."""
        rng, cal, now, t = self.rng, self.cal, self.now, self.t
        described = described or child
        referral = self.loader.ids("referrals_referral")
        referrer = area.referrers[self.referrer_pickers[area.index].pick(rng)]
        flow = Flow(referral=referral, referrer=referrer)
        urgent = rng.random() < 0.1
        roll = rng.random()
        consent = (
            "given" if roll < 0.75 else "refused" if roll < 0.83 else "not_sought" if roll < 0.97 else "dispensed_with"
        )

        def after(moment: int, low: float, high: float) -> int:
            return cal.after(moment, rng, low * pace, high * pace)

        # Referrers write and send at any hour (the front door takes it up in office hours): a draft is one begun in
        # the last hour or two, or one a referrer left half done.
        created = when
        submitted = created + int(rng.uniform(0.2, 3) * pace * HOUR)
        state = "draft"
        version = 3
        events: list[Event] = []
        last = created

        def step(at: int, by: Person, name: str, summary: str, to: str, rationale: str = "") -> bool:
            """Taken if it happened by now; the state moves on and, for a transition, the referral's version."""
            nonlocal state, version, last
            if at > now or (stop and state == stop):
                return False
            events.append((at, by, name, summary, rationale, state, to))
            if name != "mash_check":
                version += 1
            state, last = to, at
            return True

        spoc, triage, manager = rng.choice(area.spoc), rng.choice(area.triage), rng.choice(area.triage_managers)
        found: dict[str, str] = {}
        co_allocated_at: int | None = None
        linked = False
        review_at: int | None = None

        def finish() -> Flow:
            if review_at is not None and review_at <= last and area.head_of_service is not None:
                # The Head of Service's review of consent dispensed with: in the timeline, in its place in time.
                at_state = "submitted"
                for at, *_, to in events:
                    if at <= review_at:
                        at_state = to
                events.append(
                    (
                        review_at,
                        area.head_of_service,
                        "consent_review",
                        "Head of Service agreed with dispensing with consent",
                        "The risk to the child justified referring without telling the family.",
                        at_state,
                        at_state,
                    )
                )
                events.sort(key=lambda event: event[0])
            self._referral_row(
                referral=referral,
                child=child if linked else None,
                described=described,
                area=area,
                referrer=referrer,
                state=state,
                version=version if state != "draft" else 2,
                urgent=urgent,
                consent=consent,
                submitted=submitted if state != "draft" else None,
                created=created,
                updated=last,
                found=found,
                co_allocated_at=co_allocated_at,
                team=area.team if co_allocated_at is not None else None,
            )
            self._events(referral, events, child if linked else None, logged_at=flow.logged_at)
            if state not in ("decided", "closed"):
                key = (area.index, state)
                self.live[key] = self.live.get(key, 0) + 1
            return flow

        if stop == "draft" or not step(
            submitted,
            referrer,
            "submit",
            f"{referrer.submitted_by} submitted a Multi-Agency Referral Form",
            "submitted",
        ):
            return finish()
        if consent == "dispensed_with" and area.head_of_service is not None:
            reviewed = after(submitted, 2, 60)
            met = reviewed if reviewed <= now and not stop else None
            review_at = met
            self.deadline(
                kind="review",
                unit="working_days",
                amount=5,
                subject_type="referral-consent",
                subject_id=referral,
                started=submitted,
                met=met,
                reason_by=area.head_of_service,
            )
        ready = submitted
        if stop == "awaiting_clarification" or (not stop and rng.random() < 0.04):
            asked = after(submitted, 0.5, 6)
            question = rng.choice(words.CLARIFICATION_QUESTIONS)
            if not step(
                asked,
                spoc,
                "ask_clarification",
                "SPOC asked the referrer to clarify",
                "awaiting_clarification",
                question,
            ):
                return finish()
            answered = after(asked, 2, 40)
            answer = rng.choice(words.CLARIFICATION_ANSWERS)
            done = answered <= now and stop != "awaiting_clarification"
            t["referrals_clarification"].add(
                self.loader.ids("referrals_clarification"),
                referral,
                question,
                spoc.id,
                ts(asked),
                answer if done else "",
                ts(answered) if done else None,
            )
            if not done or not step(
                answered, spoc, "record_clarification", "SPOC recorded the referrer's answer", "submitted", answer
            ):
                return finish()
            ready = answered
        logged = after(ready, 0.5, 20)
        if child is None or not step(logged, spoc, "log", "SPOC logged the contact", "logged"):
            return finish()
        linked = True
        flow.logged_at = logged
        if first:
            child.created_at, child.creator = logged, spoc
            self.accessed(logged, spoc, child.id, "created", "new record", "POST referrals:referral-action")
            if self.grant(spoc, child.id):
                self.accessed(
                    logged,
                    spoc,
                    child.id,
                    "granted",
                    "granted to the person who recorded it",
                    "POST referrals:referral-action",
                )
        screened = after(logged, 1, 30)
        notes = rng.choice(words.SCREENING_NOTES)
        if not step(screened, triage, "screen", "Triage screened the contact", "screened", notes):
            return finish()
        found["screening"] = notes
        if fate == "triage" and not stop:
            closed = after(screened, 1, 40)
            outcome, letter = rng.choice(words.CLOSE_OUTCOMES)
            if step(closed, manager, "close_at_triage", f"Closed: {outcome}", "closed", letter):
                found["outcome"], found["letter"] = outcome, letter
            return finish()
        sent = after(screened, 1, 24)
        rag = rng.choice(("red", "amber", "amber", "green"))
        rationale = rng.choice(words.TRIAGE_RATIONALES)
        if not step(
            sent,
            manager,
            "send_to_mash",
            f"Triage manager sent the contact to the MASH, first RAG rating {rag.capitalize()}",
            "with_mash",
            rationale,
        ):
            return finish()
        found["threshold"] = rng.choice(("child_protection", "child_in_need", "child_in_need", "early_help"))
        found["rag_1"], found["rag_1_rationale"] = rag, rationale
        checked = sent
        workers = rng.sample(area.mash, min(len(area.mash), rng.choice((1, 2, 2, 3))))
        checks_done = 0
        for worker in workers:
            checked = self.prompt(checked, 0.5 * pace, 20 * pace, sent, 20) if rag == "red" else after(checked, 0.5, 20)
            holds = rng.random() < 0.4
            summary = rng.choice(words.MASH_SUMMARIES) if holds else ""
            if checked > now or (stop == "with_mash" and checks_done and rng.random() < 0.5):
                break
            step(
                checked,
                worker,
                "mash_check",
                f"{worker.agency_short} recorded its MASH check: {'holds information' if holds else 'holds nothing'}",
                "with_mash",
                summary,
            )
            checks_done += 1
            t["referrals_mashcheck"].add(
                self.loader.ids("referrals_mashcheck"), referral, worker.agency, worker.id, ts(checked), holds, summary
            )
        unit, amount = RAG_TIMESCALE[rag]
        decided = self.prompt(checked, pace, 20 * pace, sent, 22) if rag == "red" else after(checked, 1, 20)
        mash = rng.choice(area.mash)
        if checks_done == 0 or checks_done < len(workers) or decided > now or stop == "with_mash":
            self.deadline(
                kind="rag_response",
                unit=unit,
                amount=amount,
                subject_type="referral",
                subject_id=referral,
                started=sent,
                met=None,
            )
            return finish()
        self.deadline(
            kind="rag_response",
            unit=unit,
            amount=amount,
            subject_type="referral",
            subject_id=referral,
            started=sent,
            met=decided,
            reason_by=manager,
        )
        if fate == "mash":
            outcome, letter = rng.choice(words.MASH_CLOSE_OUTCOMES)
            step(decided, mash, "close_at_mash", f"Closed: {outcome}", "closed", letter)
            found["outcome"], found["letter"] = outcome, letter
            return finish()
        rag_2, rationale_2 = rng.choice(("red", "amber")), rng.choice(words.MASH_RATIONALES)
        intervention = rng.choice(("section_47", "section_17", "section_17", "early_help"))
        step(
            decided,
            mash,
            "co_allocate",
            f"MASH co-allocated to {area.team_name}: second RAG rating {rag_2}, {INTERVENTION_LABEL[intervention]}",
            "co_allocated",
            rationale_2,
        )
        found["rag_2"], found["rag_2_rationale"], found["intervention"] = rag_2, rationale_2, intervention
        co_allocated_at = flow.co_allocated_at = decided
        if not child.open_to_team:
            child.open_to_team = True
            self.accessed(
                decided, mash, child.id, "updated", f"opened to the team {area.team}", "POST referrals:referral-action"
            )
        self._review(child, area, flow, fate, step=step, waiting=stop == "co_allocated")
        if flow.decided_at is not None and flow.kind in ADVICE:
            found["outcome"], found["letter"] = KIND_LABEL[flow.kind], flow.letter
        return finish()

    def _letter(self, referrer: Person, child: ChildPlan, submitted: int, kind: str) -> str:
        received = self.cal.local_date(submitted)
        return "\n".join(
            (
                f"Dear {referrer.name},",
                "",
                f"Thank you for your referral about {child.first}, received on {day(received)}.",
                "The Evolve team manager and detective sergeant have reviewed it together, with what each agency "
                "holds.",
                "",
                f"Our decision: {KIND_LABEL[kind]}.",
                "",
                ADVICE_TEXT[kind],
                "",
                "If you become worried that the child is at risk of significant harm, refer again at once. "
                "If a child is in immediate danger, call 999.",
                "",
                "The Evolve team",
            )
        )

    def _referral_row(
        self,
        *,
        referral: int,
        child: ChildPlan | None,
        described: ChildPlan | None,
        area: Area,
        referrer: Person,
        state: str,
        version: int,
        urgent: bool,
        consent: str,
        submitted: int | None,
        created: int,
        updated: int,
        found: dict[str, str],
        co_allocated_at: int | None,
        team: int | None,
    ) -> None:
        """The referral's row as it stands now; `found` holds what the steps taken so far filled in."""
        rng = self.rng
        first = described.first if described else rng.choice(words.GIRLS)
        last = described.last if described else rng.choice(words.SURNAMES)
        draft_incomplete = state == "draft" and rng.random() < 0.5
        self.t["referrals_referral"].add(
            referral,
            self.uuid(),
            "marf",
            state,
            version,
            child.id if child else None,
            first,
            last,
            day(described.dob) if described and described.dob is not None else None,
            described.address if described else "",
            described.school if described else "",
            "",
            referrer.id,
            referrer.agency,
            referrer.job_title,
            "",
            referrer.email,
            "" if draft_incomplete else rng.choice(words.CONCERNS),
            "" if draft_incomplete else ("urgent" if urgent else "routine"),
            "" if draft_incomplete else consent,
            words.CONSENT_REASONS.get(consent, ""),
            self.catalogue_version,
            None if submitted is None else ts(submitted),
            found.get("screening", ""),
            found.get("threshold", ""),
            found.get("rag_1", ""),
            found.get("rag_1_rationale", ""),
            found.get("rag_2", ""),
            found.get("rag_2_rationale", ""),
            found.get("intervention", ""),
            None if co_allocated_at is None else ts(co_allocated_at),
            team,
            found.get("outcome", ""),
            text(found.get("letter", "")),
            ts(created),
            ts(updated),
        )
        for indicator in rng.sample(self.indicators, rng.choice((1, 2, 2, 3))):
            self.t["referrals_referral_indicators"].add(
                self.loader.ids("referrals_referral_indicators"), referral, indicator[0]
            )
        if child is not None and state not in ("draft", "submitted", "awaiting_clarification"):
            end = updated if state in ("decided", "closed") else self.now
            self._remember(self.seen_referrals, referral, child.id, area.index, created, end)

    @staticmethod
    def _remember(arrays: list[array[int]], *values: int) -> None:
        for column, value in zip(arrays, values, strict=True):
            column.append(value)

    def _events(
        self,
        referral: int,
        events: list[Event],
        child: ChildPlan | None,
        *,
        logged_at: int | None,
    ) -> None:
        """The referral's timeline, and the child's chronology once the child is known: the steps before the log are
        filed at the log, at the times they happened (referral_log)."""
        table = self.t["referrals_referralevent"]
        for at, by, name, summary, rationale, state_from, state_to in events:
            table.line(
                f"{self.loader.ids('referrals_referralevent')}\t{referral}\t{ts(at)}\t{by.id}\t"
                f"{NULL if by.agency is None else by.agency}\t{name}\t{summary[:300]}\t{text(rationale)}\t"
                f"{state_from}\t{state_to}"
            )
            if child is not None and logged_at is not None:
                self.chronology(
                    child.id,
                    at,
                    by,
                    f"referral.{name}",
                    summary,
                    "referral",
                    referral,
                    rationale=rationale,
                    recorded=max(at, logged_at),
                )

    # The daily review ------------------------------------------------------------------------------------------------

    def _review(
        self, child: ChildPlan, area: Area, flow: Flow, fate: str, *, step: Callable[..., bool], waiting: bool
    ) -> None:
        """The team manager and the detective sergeant take up a co-allocated referral: agency checks sometimes, a
        view each, and the decision when they agree (or the service manager's, on escalation). `waiting`: a
        referral left in the daily review, with at most the first view recorded."""
        rng, cal, now, t = self.rng, self.cal, self.now, self.t
        assert flow.co_allocated_at is not None
        start, referral = flow.co_allocated_at, flow.referral
        acknowledged: int | None = None
        if rng.random() < 0.1:
            requested = cal.after(start, rng, 0.3, 4)
            if requested <= now:
                acknowledged = requested
                self._agency_checks(child, area, referral, requested)
                start = requested + 18 * HOUR
        late = rng.random() < 0.05
        first_at = cal.after(start, rng, 25, 40) if late else self.prompt(start, 0.3, 8, flow.co_allocated_at, 22)
        second_at = cal.after(first_at, rng, 0.2, 20)
        seats = [("team_manager", area.tm), ("detective_sergeant", area.ds)]
        rng.shuffle(seats)
        kind = rng.choices(OPENING, weights=(55, 30, 15))[0] if fate == "case" else rng.choice(ADVICE)
        escalated = fate == "case" and rng.random() < 0.02
        for (seat, by), at in zip(seats, (first_at, second_at), strict=True):
            if at > now or (waiting and (flow.views or rng.random() < 0.7)):
                break
            view_kind = kind if not escalated or seat == "team_manager" else rng.choice(ADVICE)
            acknowledged = acknowledged or at
            flow.views[seat] = view = self.loader.ids("cases_decisionview")
            rationale = rng.choice(words.MASH_RATIONALES) + " The team should act on it."
            t["cases_decisionview"].add(
                view, referral, seat, by.id, ts(at), view_kind, rationale, ADVICE_TEXT.get(view_kind, "")
            )
            self.chronology(
                child.id,
                at,
                by,
                "case.decision_view",
                f"{SEAT_LABEL[seat]} {by.who}: {KIND_LABEL[view_kind]}",
                "decision_view",
                view,
                rationale=rationale,
            )
            self.accessed(at, by, child.id, "viewed", f"referral {referral}", "GET cases:review-detail")
        self.deadline(
            kind="notification",
            unit="hours",
            amount=24,
            subject_type="referral",
            subject_id=referral,
            started=flow.co_allocated_at,
            met=acknowledged,
            reason_by=area.tm,
        )
        if len(flow.views) < 2:
            return
        decider, decided = seats[1][1], second_at
        if escalated:
            raised = cal.after(second_at, rng, 0.5, 3)
            resolved = cal.after(raised, rng, 2, 40)
            if raised > now:
                return
            flow.escalation = escalation = self.loader.ids("cases_escalation")
            manager = rng.choice(area.service_managers)
            done = resolved <= now
            note = "We differ on whether the police intelligence calls for a strategy discussion today."
            t["cases_escalation"].add(
                escalation,
                self.uuid(),
                referral,
                decider.id,
                ts(raised),
                note,
                ts(resolved) if done else None,
                manager.id if done else None,
            )
            for agency in sorted({a for a in (area.tm.agency, area.ds.agency) if a is not None}):
                t["cases_escalation_agencies"].add(self.loader.ids("cases_escalation_agencies"), escalation, agency)
            self.chronology(
                child.id,
                raised,
                decider,
                "case.escalated",
                f"{decider.who} escalated a disagreement on the decision to the service managers",
                "escalation",
                escalation,
                rationale=note,
            )
            if not done:
                return
            decider, decided = manager, resolved
        how = (
            f"decided by {decider.who} on escalation"
            if flow.escalation
            else f"agreed by the team manager {area.tm.who} and the detective sergeant {area.ds.who}"
        )
        flow.rationale = "Team manager: the indicators call for it.\n\nDetective sergeant: police intelligence agrees."
        if not step(
            decided, decider, "evolve_decide", f"Evolve decision: {KIND_LABEL[kind]} ({how})", "decided", flow.rationale
        ):
            return
        flow.decided_at, flow.kind, flow.decider = decided, kind, decider
        flow.decision = self.loader.ids("cases_decision")
        if kind in ADVICE:
            flow.letter = self._letter(flow.referrer, child, flow.co_allocated_at, kind)
            self._decision_row(flow, None)

    def _agency_checks(self, child: ChildPlan, area: Area, referral: int, requested: int) -> None:
        """ "Ask every team agency": a check for each, owned by one of its practitioners in the team."""
        rng, cal, t = self.rng, self.cal, self.t
        for agency in area.agencies:
            owners = [p for p in area.members if p.agency == agency and p is not area.tm and p is not area.ds]
            owner = rng.choice(owners or [area.tm])
            check = self.loader.ids("cases_agencycheck")
            answered = cal.after(requested, rng, 1, 18)
            done = answered <= self.now
            holds = rng.random() < 0.3
            t["cases_agencycheck"].add(
                check,
                self.uuid(),
                referral,
                agency,
                owner.id,
                ts(requested + 20 * HOUR),
                "",
                area.tm.id,
                ts(requested),
                ts(answered) if done else None,
                owner.id if done else None,
                holds if done else None,
                rng.choice(words.MASH_SUMMARIES) if done and holds else "",
            )
            self.chronology(
                child.id,
                requested,
                area.tm,
                "case.agency_check_requested",
                f"{area.tm.who} asked {owner.agency_short} to check what it holds, by "
                f"{_when(cal, requested + 20 * HOUR)}",
                "agency_check",
                check,
            )
            if done:
                self.chronology(
                    child.id,
                    answered,
                    owner,
                    "case.agency_check_answered",
                    f"{owner.who} answered the agency check: {'holds information' if holds else 'holds nothing'}",
                    "agency_check",
                    check,
                )

    def _decision_row(self, flow: Flow, case: int | None) -> None:
        assert flow.decision is not None and flow.decided_at is not None and flow.decider is not None
        self.t["cases_decision"].add(
            flow.decision,
            self.uuid(),
            flow.referral,
            case,
            flow.kind,
            text(flow.rationale),
            flow.views.get("team_manager"),
            flow.views.get("detective_sergeant"),
            flow.escalation,
            ts(flow.decided_at),
            flow.decider.id,
            text(flow.letter),
        )

    # The case --------------------------------------------------------------------------------------------------------

    def _case(self, child: ChildPlan, area: Area, flow: Flow) -> None:
        """The child's case, from the decision that opened it to now: who works with the child, what they record,
        the risk assessments and meetings, and its closing when the risk has gone down."""
        rng, cal, now, t = self.rng, self.cal, self.now, self.t
        assert flow.decided_at is not None and flow.decider is not None and flow.decision is not None
        case = self.loader.ids("cases_case")
        self._decision_row(flow, case)
        opened, opener, kind = flow.decided_at, flow.decider, flow.kind
        duration = int((20 + rng.expovariate(1 / 90)) * DAY)
        closes = opened + duration
        closed = closes if closes < now - DAY else None
        end = closed or now
        version = 1
        reason = f"Daily review decision: {KIND_LABEL[kind]}"
        t["cases_casestatuschange"].add(
            self.loader.ids("cases_casestatuschange"), case, "opened", ts(opened), opener.id, reason
        )
        self.chronology(
            child.id, opened, opener, "case.opened", "Case opened to Evolve", "case", case, rationale=reason
        )
        working: list[tuple[Person, str]] = []  # who works on the case, and why
        # Allocations: the team around the child.
        roles = rng.sample(list(area.practitioners), rng.choice((2, 2, 3, 3, 4)))
        if AllocationRole.SOCIAL_WORK_LEAD.value not in roles:
            roles[0] = AllocationRole.SOCIAL_WORK_LEAD.value
        allocated: list[Person] = []
        for role in roles:
            user = self.practitioner(area, role)
            at = cal.after(opened, rng, 0.5, 30)
            if at > now:
                continue
            allocated.append(user)
            version += 1
            t["cases_allocation"].add(
                self.loader.ids("cases_allocation"),
                self.uuid(),
                case,
                user.id,
                role,
                day(cal.local_date(at)),
                day(cal.local_date(closed)) if closed else None,
                area.tm.id,
                ts(at),
            )
            label = ALLOCATION_LABEL[role].lower()
            self._work_grant(child, area, case, user, at, label)
            self.chronology(child.id, at, area.tm, "case.allocation", f"Allocated: {user.who} as {label}", "case", case)
            working.append((user, "allocation"))
        holder: Person | None = None
        if rng.random() < 0.5 and area.case_holders:
            weights = [3.0 if p.name and index == 0 else 1.0 for index, p in enumerate(area.case_holders)]
            holder = area.case_holders[Picker(range(len(area.case_holders)), weights).pick(rng)]
            at = cal.after(opened, rng, 1, 60)
            if at <= now:
                version += 1
                self._work_grant(child, area, case, holder, at, "case-holding social worker")
                self.chronology(
                    child.id, at, area.tm, "case.case_holder", f"Case-holding social worker: {holder.who}", "case", case
                )
                working.append((holder, "holder"))
            else:
                holder = None
        key_user: Person | None = None
        key_name = key_organisation = ""
        roll = rng.random()
        at = cal.after(opened, rng, 2, 80)
        if at <= now and roll < 0.8:
            version += 1
            if roll < 0.6 and allocated:
                key_user = rng.choice(allocated)
                self._work_grant(child, area, case, key_user, at, "key individual")
                label = key_user.who
                working.append((key_user, "key"))
            else:
                key_name = f"{rng.choice(words.ADULT_WOMEN)} {rng.choice(words.SURNAMES)}, youth worker"
                key_organisation = f"{rng.choice(words.STREET_NAMES).split()[0]} Youth Club"
                label = f"{key_name}, {key_organisation}"
            self.chronology(child.id, at, area.tm, "case.key_individual", f"Key individual: {label}", "case", case)
        # The strategy discussion the decision called for, within 24 hours (mostly).
        if kind == "strategy_discussion":
            held = opened + int(rng.uniform(2, 23 if rng.random() < 0.92 else 40) * HOUR)
            met = held if held <= now else None
            self.deadline(
                kind="strategy_discussion",
                unit="hours",
                amount=24,
                subject_type="decision",
                subject_id=flow.decision,
                started=opened,
                met=met,
                reason_by=area.tm,
            )
            if met is not None:
                chair = rng.choice((area.tm, area.ds))
                strategy = Meeting(
                    id=self.loader.ids("meetings_meeting"),
                    area=area.index,
                    starts_at=held,
                    chair=chair,
                    seat="team_manager" if chair is area.tm else "detective_sergeant",
                    kind="strategy_discussion",
                    decision=flow.decision,
                )
                self.other_meetings.append(strategy)
                discussion = rng.choice(words.DISCUSSIONS)
                self._item(strategy, child, area, "strategy_or_cin", discussion=discussion)
                self.chronology(
                    child.id,
                    held,
                    chair,
                    "case.strategy_discussion",
                    "Immediate Strategy Discussion held",
                    "decision",
                    flow.decision,
                    rationale=discussion,
                )
        # Risk assessments, each agreed at the next weekly meeting and reviewed by the team manager.
        awaiting = opened if kind == "risk_assessment_meeting" else None
        urgent = opened if kind == "urgent_cin" else None
        risk_level, next_review = "", None
        assessed = cal.after(opened, rng, 24, 120)
        previous: int | None = None
        source = "new_referrals" if kind == "risk_assessment_meeting" else "strategy_or_cin"
        while assessed < end:
            screening = self._assessment(child, area, assessed, previous, allocated)
            assessment, suggested = screening.id, screening.level
            meeting = self._weekly(area, assessed + DAY)
            review_on = self.cal.local_date(assessed) + rng.randrange(42, 120)
            agreed = meeting is not None and meeting.closed and meeting.starts_at < end
            level = ""
            if agreed:
                assert meeting is not None
                level = suggested if rng.random() < 0.8 else rng.choice(("low", "medium", "high"))
                rationale = rng.choice(words.AGREED_RATIONALES)
                where = f"Weekly CSE team meeting on {_date_label(cal, meeting.starts_at)}"
                self._item(
                    meeting,
                    child,
                    area,
                    source,
                    discussion=rng.choice(words.DISCUSSIONS),
                    assessment=assessment,
                    level=level,
                    rationale=rationale,
                )
                self.chronology(
                    child.id,
                    meeting.starts_at + HOUR,
                    meeting.chair,
                    "risk.agreed",
                    f"Risk level agreed: {LEVEL_LABEL[level].lower()} (the screening suggested "
                    f"{LEVEL_LABEL[suggested].lower()})",
                    "risk_assessment",
                    assessment,
                    rationale=rationale,
                )
                risk_level, next_review, awaiting, urgent = level, review_on, None, None
                version += 1
                agreed_at: int | None = meeting.starts_at + HOUR
                agreed_by: Person | None = meeting.chair
            else:
                agreed_at, agreed_by, rationale, where = None, None, "", ""
                if meeting is not None and not meeting.closed:
                    self._item(meeting, child, area, source)
            reviewed = cal.after(assessed, rng, 4, 120)
            reviewed_done = reviewed <= now and rng.random() < 0.97
            self._assessment_row(
                screening=screening,
                child=child,
                area=area,
                assessed=assessed,
                previous=previous,
                review_on=review_on,
                level=level,
                rationale=rationale,
                agreed_at=agreed_at,
                agreed_by=agreed_by,
                where=where,
                reviewed=reviewed if reviewed_done else None,
            )
            previous = assessment
            source = "allocated_update"
            assessed = cal.after(assessed, rng, 60 * 24, 120 * 24)
        if closed is None and next_review is not None and rng.random() < 0.3:
            # The team manager set a closer review date than the assessment's.
            set_at = cal.after(max(opened, now - 20 * DAY), rng, 1, 48)
            if set_at <= now:
                next_review = self.today + rng.randrange(1, 30)
                version += 1
                self.chronology(
                    child.id,
                    set_at,
                    area.tm,
                    "case.review_date",
                    f"Next review: {_long_date(next_review)}",
                    "case",
                    case,
                )
        notes = self._notes(child, area, case, opened, end, allocated, holder)
        self._child_words(child, area, case, opened, end, allocated)
        if closed is not None:
            reason = rng.choice(words.CLOSURE_REASONS)
            version += 1
            t["cases_casestatuschange"].add(
                self.loader.ids("cases_casestatuschange"), case, "closed", ts(closed), area.tm.id, reason
            )
            self.chronology(child.id, closed, area.tm, "case.closed", "Case closed", "case", case, rationale=reason)
            still = {person.id for person, why in working if why != "allocation"}
            for user in allocated:
                if user.id not in still and (user.id, child.id) in self.grants:
                    self.grants.discard((user.id, child.id))
                    self.accessed(
                        closed, area.tm, child.id, "updated", f"user {user.id}: access ended", "POST cases:case-action"
                    )
            awaiting = urgent = None
        self.t["cases_case"].add(
            case,
            self.uuid(),
            child.id,
            area.team,
            version,
            ts(opened),
            opener.id,
            None if closed is None else ts(closed),
            "" if closed is None else reason,
            None if holder is None else holder.id,
            None if key_user is None else key_user.id,
            key_name,
            key_organisation,
            risk_level,
            None if next_review is None else day(next_review),
            None if awaiting is None else ts(awaiting),
            None if urgent is None else ts(urgent),
        )
        self._remember(self.seen_cases, case, child.id, area.index, opened, end)
        self.case_notes[case] = notes[-3:]

    def _work_grant(self, child: ChildPlan, area: Area, case: int, user: Person, at: int, why: str) -> None:
        """_grant_for_work: the grant, its entry in the sharing ledger and the access log."""
        if not self.grant(user, child.id):
            return
        self.share(
            child=child.id,
            at=at,
            by=area.tm,
            what=f"The child's record and Evolve case ({why})",
            to=user,
            lawful_basis="public_task",
            reason="Access follows the work: they were given a role on the child's case",
            source_type="case",
            source_id=case,
        )
        self.accessed(at, area.tm, child.id, "granted", f"user {user.id}: {why}", "POST cases:case-action")

    def _notes(
        self,
        child: ChildPlan,
        area: Area,
        case: int,
        opened: int,
        end: int,
        allocated: list[Person],
        holder: Person | None,
    ) -> list[int]:
        rng, cal = self.rng, self.cal
        span = max(DAY, end - opened)
        count = min(int(rng.expovariate(1 / 8)) + 1, 2 + span // (3 * DAY))
        if rng.random() < 0.01:
            count += 60  # a few children with a long record: the case page's heaviest
        writers = allocated + ([holder] if holder else []) + [area.tm, area.ds]
        ids = []
        for _ in range(count):
            at = cal.in_hours(opened + rng.randrange(span), rng)
            if at > self.now:
                continue
            author = rng.choice(writers)
            restricted: int | None = None
            kind = "police" if author.agency == area.police else "health" if author.agency == area.health else ""
            if kind and author is not holder and rng.random() < 0.15:
                restricted = author.agency
                body = rng.choice(words.RESTRICTED_NOTES[kind])
            else:
                body = rng.choice(words.NOTES)
            note = self.loader.ids("cases_casenote")
            ids.append(note)
            self.t["cases_casenote"].add(note, self.uuid(), case, author.id, author.agency, ts(at), body, restricted)
            where = f" (restricted to {author.agency_short})" if restricted else ""
            self.chronology(
                child.id,
                at,
                author,
                "case.note",
                f"Case note by {author.who}{where}",
                "case_note",
                note,
                rationale=body,
                restricted=restricted,
            )
            self.accessed(at, author, child.id, "created", f"case {case} note {note}", "POST cases:case-action")
            if restricted and rng.random() < 0.2:
                others = [p for p in allocated if p.agency != restricted]
                if others:
                    to = rng.choice(others)
                    shared = at + int(rng.uniform(0.1, 48) * HOUR)
                    if shared <= self.now:
                        self.share(
                            child=child.id,
                            at=shared,
                            by=author,
                            what=f"Case note of {_date_label(cal, at)} restricted to {author.agency_short}",
                            to=to,
                            lawful_basis="safeguarding",
                            reason=SHARE_REASON,
                            source_type="case_note",
                            source_id=note,
                        )
                        self.accessed(
                            shared,
                            author,
                            child.id,
                            "granted",
                            f"note {note} shared with user {to.id}",
                            "POST cases:note-share",
                        )
        return ids

    def _child_words(
        self, child: ChildPlan, area: Area, case: int, opened: int, end: int, allocated: list[Person]
    ) -> None:
        rng = self.rng
        if rng.random() > 0.6 or not allocated:
            return
        for _ in range(rng.choice((1, 1, 2, 3))):
            at = self.cal.in_hours(opened + rng.randrange(max(DAY, end - opened)), rng)
            if at > self.now:
                continue
            by = rng.choice(allocated)
            kind = rng.choice(("words", "wishes", "worries"))
            entry = self.loader.ids("cases_childwords")
            said = self.cal.local_date(at) - rng.randrange(0, 4)
            self.t["cases_childwords"].add(
                entry,
                self.uuid(),
                case,
                kind,
                rng.choice(words.CHILD_WORDS[kind]),
                day(said),
                rng.choice(words.WORDS_CONTEXT),
                by.id,
                ts(at),
            )
            label = {"words": "what the child said", "wishes": "what the child wants to happen"}.get(
                kind, "what worries the child"
            )
            self.chronology(
                child.id,
                at,
                by,
                "case.child_words",
                f"The child's words recorded by {by.who}: {label}",
                "child_words",
                entry,
            )

    # Risk assessments ------------------------------------------------------------------------------------------------

    def _assessment(
        self, child: ChildPlan, area: Area, at: int, previous: int | None, allocated: list[Person]
    ) -> Screening:
        """The screening's answers, written now; the assessment's own row is written once its agreement is known."""
        rng = self.rng
        assessment = self.loader.ids("risk_riskassessment")
        present = set(rng.sample(range(len(self.indicators)), rng.randint(1, 8)))
        screened = []
        table = self.t["risk_indicatoranswer"]
        first_answer = self.loader.ids("risk_indicatoranswer", len(self.indicators))
        for position, (indicator, _, high) in enumerate(self.indicators):
            if position in present:
                seen = rng.choice(
                    (Seen.CURRENT.value, Seen.CURRENT.value, Seen.WITHIN_SIX_MONTHS.value, Seen.EARLIER.value)
                )
                agency = rng.choice(area.agencies)
                table.add(
                    first_answer + position, assessment, indicator, "present", seen, rng.choice(words.EVIDENCE), agency
                )
                screened.append(ScreenedAnswer(answer=Answer.PRESENT.value, seen=seen, is_high_risk=high))
            else:
                answer = "unknown" if rng.random() < 0.05 else "not_present"
                table.add(first_answer + position, assessment, indicator, answer, "", "", None)
                screened.append(ScreenedAnswer(answer=answer, seen="", is_high_risk=high))
        assert child.dob is not None
        age = (self.cal.local_date(at) - child.dob) // 365
        suggestion = suggest(screened, age=age)
        by = rng.choice(allocated) if allocated else area.tm
        label = LEVEL_LABEL[suggestion.level].lower()
        flag = "; aged 13 or under with a high-risk indicator" if suggestion.young_child_high_risk else ""
        summary = rng.choice(words.ASSESSMENT_SUMMARIES)
        self.chronology(
            child.id,
            at,
            by,
            "risk.assessment",
            f"Risk assessment recorded: the screening suggests {label} risk{flag}",
            "risk_assessment",
            assessment,
            rationale=summary,
        )
        return Screening(
            id=assessment,
            level=suggestion.level,
            score=suggestion.score,
            age=age,
            young=suggestion.young_child_high_risk,
            by=by,
            summary=summary,
        )

    def _assessment_row(
        self,
        *,
        screening: Screening,
        child: ChildPlan,
        area: Area,
        assessed: int,
        previous: int | None,
        review_on: int,
        level: str,
        rationale: str,
        agreed_at: int | None,
        agreed_by: Person | None,
        where: str,
        reviewed: int | None,
    ) -> None:
        assessment = screening.id
        comment = "Checked the evidence for each indicator; the plan addresses the current ones." if reviewed else ""
        version = 1 + (1 if agreed_at else 0) + (1 if reviewed else 0)
        self.t["risk_riskassessment"].add(
            assessment,
            self.uuid(),
            child.id,
            area.team,
            self.catalogue_version,
            previous,
            version,
            day(self.cal.local_date(assessed)),
            screening.by.id,
            ts(assessed),
            screening.summary,
            screening.level,
            screening.score,
            screening.age,
            screening.young,
            "{" + ",".join(self.rng.sample(CIN_FACTORS, self.rng.randint(1, 2))) + "}",
            day(review_on),
            level,
            rationale,
            None if agreed_at is None else ts(agreed_at),
            None if agreed_by is None else agreed_by.id,
            where,
            None if reviewed is None else ts(reviewed),
            None if reviewed is None else area.tm.id,
            comment,
        )
        if reviewed is not None:
            self.chronology(
                child.id,
                reviewed,
                area.tm,
                "risk.reviewed",
                "Risk assessment reviewed by the team manager",
                "risk_assessment",
                assessment,
                rationale=comment,
            )

    # Meetings --------------------------------------------------------------------------------------------------------

    def _weekly(self, area: Area, after: int) -> Meeting | None:
        """The team's weekly meeting on the first Tuesday after `after`: held (closed) if it is past, the next one
        (open, agenda being built) if it is this coming week, None beyond that."""
        days = self.cal.local_date(after)
        tuesday = days + ((5 - days) % 7 or 7)  # 1970-01-06 was a Tuesday: days % 7 == 5
        starts = self.cal.meeting_time(tuesday)
        key = (area.index, tuesday)
        meeting = self.meetings.get(key)
        if meeting is not None:
            return meeting
        closed = starts + 2 * HOUR < self.now
        if not closed and (starts > self.now + 8 * DAY or area.open_meeting_exists):
            return None
        week = tuesday // 7
        chair = area.tm if week % 2 == 0 else area.ds
        meeting = Meeting(
            id=self.loader.ids("meetings_meeting"),
            area=area.index,
            starts_at=starts,
            chair=chair,
            seat="team_manager" if chair is area.tm else "detective_sergeant",
            closed=closed,
        )
        if not closed:
            area.open_meeting_exists = True
        self.meetings[key] = meeting
        return meeting

    def _item(
        self,
        meeting: Meeting,
        child: ChildPlan,
        area: Area,
        source: str,
        *,
        discussion: str = "",
        assessment: int | None = None,
        level: str = "",
        rationale: str = "",
    ) -> None:
        if child.id in meeting.children:
            return
        rng = self.rng
        meeting.children.add(child.id)
        meeting.items += 1
        item = self.loader.ids("meetings_agendaitem")
        reasons = {
            "new_referrals": "Referred since the last meeting",
            "strategy_or_cin": "Strategy discussion or CIN intervention",
            "allocated_update": "Update due",
        }
        self.t["meetings_agendaitem"].add(
            item,
            self.uuid(),
            meeting.id,
            child.id,
            area.team,
            source,
            reasons.get(source, ""),
            meeting.items,
            2 if discussion else 1,
            discussion,
            assessment,
            level,
            rationale,
            "Silver car seen at the takeaway most evenings." if discussion and rng.random() < 0.1 else "",
            "",
            None,
            None,
            "",
            None,
            None,
            ts(meeting.starts_at + HOUR if meeting.closed else meeting.starts_at - DAY),
        )
        if not meeting.closed:
            return
        title = (
            f"{'Strategy discussion' if meeting.kind == 'strategy_discussion' else 'Weekly CSE team meeting'} on "
            f"{_date_label(self.cal, meeting.starts_at)}"
        )
        summary = f"Discussed at the {title}" + (f": risk level agreed {LEVEL_LABEL[level].lower()}" if level else "")
        self.chronology(
            child.id,
            meeting.starts_at,
            meeting.chair,
            "meeting.discussed",
            summary,
            "meeting_item",
            item,
            rationale=discussion,
            recorded=meeting.starts_at + 2 * HOUR,
        )
        for _ in range(rng.choice((0, 1, 1, 2))):
            owner = self.member(area)
            due = self.cal.local_date(meeting.starts_at) + rng.randrange(7, 29)
            done = self.cal.meeting_time(due) - rng.randrange(0, 5) * DAY
            self.t["meetings_action"].add(
                self.loader.ids("meetings_action"),
                self.uuid(),
                item,
                rng.choice(words.ACTIONS),
                owner.id,
                day(due),
                meeting.chair.id,
                ts(meeting.starts_at + HOUR),
                ts(done) if done < self.now and rng.random() < 0.9 else None,
            )

    def meetings_out(self) -> None:
        """The meetings themselves, once every child's part is known, with who attended."""
        rng = self.rng
        for meeting in [*self.meetings.values(), *self.other_meetings]:
            area = self.areas[meeting.area]
            place = f"{area.town} House, meeting room {rng.randint(1, 4)}"
            created = meeting.starts_at - rng.randint(3, 7) * DAY
            closed_at = meeting.starts_at + 2 * HOUR if meeting.closed else None
            self.t["meetings_meeting"].add(
                meeting.id,
                self.uuid(),
                area.team,
                meeting.kind,
                ts(meeting.starts_at),
                place,
                meeting.chair.id,
                meeting.seat,
                meeting.decision,
                1 + meeting.items + (1 if meeting.closed else 0),
                meeting.chair.id,
                ts(min(created, meeting.starts_at)),
                None if closed_at is None else ts(closed_at),
                meeting.chair.id if meeting.closed else None,
                0,  # no minutes PDF is asked for the history: the sweep would otherwise build thousands
                None,
            )
            if not meeting.closed:
                continue
            present = [area.tm, area.ds, *rng.sample(area.members[2:], min(len(area.members) - 2, rng.randint(2, 5)))]
            for position, person in enumerate(present):
                assert person.agency is not None
                self.t["meetings_attendance"].add(
                    self.loader.ids("meetings_attendance"),
                    meeting.id,
                    person.agency,
                    person.id,
                    person.name,
                    "",
                    position < len(present) - 1 or rng.random() < 0.7,
                )

    # Mapping around a child ------------------------------------------------------------------------------------------

    def _mapping_around(self, child: ChildPlan, area: Area) -> None:
        """The people, places and vehicles linked to a child the team works with, and the child's missing episodes."""
        rng = self.rng
        start = child.created_at
        span = max(DAY, self.now - start)
        wanted = self._child_link_count(child)
        for _ in range(wanted):
            kind = rng.choices(("person", "location", "vehicle", "group", "online_identity"), (45, 35, 10, 5, 5))[0]
            picker = self.entity_pickers.get((area.index, kind))
            if not picker:
                continue
            other = picker.pick(rng)
            link_kind = rng.choice(LINK_KINDS[kind])
            at = self.cal.in_hours(start + rng.randrange(span), rng)
            if at > self.now:
                continue
            if child.entity is None:
                child.entity = self._child_entity(child, area, at)
            by = (
                self.practitioner(area, AllocationRole.POLICE_INVESTIGATION.value)
                if rng.random() < 0.6 or child.restricted
                else self.member(area)
            )
            restricted = area.police if by.agency == area.police and (child.restricted or rng.random() < 0.05) else None
            made = self._link(area, child.entity, other, link_kind, by, at, restricted, kind == "location")
            if made is None:
                continue
            link, evidence = made
            self.child_links += 1
            hidden = restricted or (area.police if other in self.restricted_entities else None)
            self.chronology(
                child.id,
                at,
                by,
                "mapping_link",
                f"Mapping: linked ({LINK_LABEL[link_kind]} a {KIND_NOUN[kind]})",
                "mapping_link",
                link,
                rationale=evidence,
                restricted=hidden,
            )
            self.accessed(at, by, child.id, "updated", "linked", "POST mapping:child-link-new")
        for started in self._missing_times(child):
            self._missing(child, area, started)

    def _child_link_count(self, child: ChildPlan) -> int:
        """About half of all links are to children, skewed so a few children are linked to many."""
        per_child = 0.5 * self.targets.links / max(1, self.targets.cases + self.targets.advice_children // 3)
        if child.kind == "advice" and self.rng.random() > 0.33:
            return 0
        return min(60, int(self.rng.paretovariate(2.0) * per_child / 2))

    def _child_entity(self, child: ChildPlan, area: Area, at: int) -> int:
        entity = self.loader.ids("mapping_entity")
        by = self.practitioner(area, AllocationRole.POLICE_INVESTIGATION.value)
        self.t["mapping_entity"].add(
            entity,
            self.uuid(),
            "child",
            area.team,
            child.id,
            "",
            "",
            None,
            False,
            "",
            None,
            None,
            "",
            ts(at),
            by.id,
            ts(at),
            1,
        )
        return entity

    def _link(
        self,
        area: Area,
        a: int,
        b: int,
        kind: str,
        by: Person,
        at: int,
        restricted: int | None,
        child_place: bool = False,
    ) -> tuple[int, str] | None:
        """A link, once per team, pair and kind either way round (the unique constraint, and link_record's check)."""
        low, high = (a, b) if a < b else (b, a)
        key = (area.team, low, high, kind)
        if a == b or key in self.links:
            return None
        self.links.add(key)
        rng = self.rng
        link = self.loader.ids("mapping_link")
        evidence = rng.choice(words.EVIDENCE)
        seen = self.cal.local_date(at)
        first_seen = seen - rng.randrange(0, 200) if rng.random() < 0.7 else None
        last_seen = seen if first_seen is not None and rng.random() < 0.8 else None
        assert by.agency is not None
        self.t["mapping_link"].add(
            link,
            self.uuid(),
            area.team,
            a,
            b,
            kind,
            None if first_seen is None else day(first_seen),
            None if last_seen is None else day(last_seen),
            by.agency,
            rng.choice(("confirmed", "probable", "probable", "possible", "unverified")),
            evidence,
            restricted,
            ts(at),
            by.id,
            ts(at),
            by.id,
            1,
            None,
            None,
            "",
            child_place,
        )
        return link, evidence

    def other_links(self) -> None:
        """The rest of the network: people of concern with each other, the places they use, their vehicles and
        groups. These have no child at either end, so no chronology."""
        rng = self.rng
        wanted = self.targets.links - self.child_links
        pairs = (
            ("person", "person", "associates_with", 30),
            ("person", "location", "works_at", 10),
            ("person", "location", "lives_at", 10),
            ("person", "location", "seen_at", 15),
            ("person", "vehicle", "uses", 20),
            ("person", "group", "member_of", 8),
            ("person", "online_identity", "uses", 7),
        )
        weights = [weight for *_, weight in pairs]
        made = attempts = 0
        while made < wanted and attempts < wanted * 5:
            attempts += 1
            a_kind, b_kind, kind, _ = rng.choices(pairs, weights)[0]
            area = rng.choice(self.areas)
            a_pick, b_pick = (
                self.entity_pickers.get((area.index, a_kind)),
                self.entity_pickers.get((area.index, b_kind)),
            )
            if not a_pick or not b_pick:
                continue
            a, b = a_pick.pick(rng), b_pick.pick(rng)
            at = self.cal.in_hours(self.start + rng.randrange(self.now - self.start - 3 * DAY), rng)
            by = self.practitioner(area, AllocationRole.POLICE_INVESTIGATION.value)
            restricted = area.police if a in self.restricted_entities or b in self.restricted_entities else None
            if self._link(area, a, b, kind, by, at, restricted) is not None:
                made += 1

    def _missing_times(self, child: ChildPlan) -> list[int]:
        rng = self.rng
        per_child = self.targets.missing_episodes / max(1, self.targets.cases + self.targets.advice_children // 4)
        if child.kind == "advice" and rng.random() > 0.25:
            return []
        count = int(rng.expovariate(1 / per_child) + 0.5) if per_child > 0 else 0
        start = child.created_at
        times = [start + rng.randrange(max(DAY, self.now - start - DAY)) for _ in range(count)]
        if child.kind == "case" and rng.random() < 0.03:
            # Going missing often, lately: flagged on the daily review and the case page (three in 90 days).
            times += [self.now - rng.randrange(2, 85) * DAY for _ in range(3)]
        return sorted(t for t in times if t < self.now - HOUR)

    def _missing(self, child: ChildPlan, area: Area, started: int) -> None:
        rng = self.rng
        episode = self.loader.ids("mapping_missingepisode")
        hours = rng.choice((3, 6, 9, 14, 20, 30, 48))
        ended = started + hours * HOUR
        if ended > self.now:
            ended_at: int | None = None
        else:
            ended_at = ended
        places = self.entity_pickers.get((area.index, "location"))
        found_at = places.pick(rng) if places and ended_at and rng.random() < 0.35 else None
        if found_at in self.restricted_entities:
            found_at = None
        interviewed = ended_at is not None and rng.random() < 0.75
        interview_on = self.cal.local_date(ended + 2 * DAY) if interviewed else None
        if interview_on is not None and self.cal.meeting_time(interview_on) > self.now:
            interviewed, interview_on = False, None
        by = (
            self.practitioner(area, AllocationRole.POLICE_INVESTIGATION.value)
            if rng.random() < 0.7
            else self.member(area)
        )
        recorded = min(self.now, (ended_at or started) + rng.randrange(1, 24) * HOUR)
        self.t["mapping_missingepisode"].add(
            episode,
            self.uuid(),
            child.id,
            area.team,
            ts(started),
            None if ended_at is None else ts(ended_at),
            rng.choice(words.WHERE_FOUND) if ended_at else "",
            found_at,
            interviewed,
            None if interview_on is None else day(interview_on),
            rng.choice(words.RETURN_INTERVIEWERS) if interviewed else "",
            "",
            ts(recorded),
            by.id,
            ts(recorded),
            1,
        )
        linked = [found_at] if found_at else []
        people = self.entity_pickers.get((area.index, "person"))
        if people and rng.random() < 0.3:
            person = people.pick(rng)
            if person not in self.restricted_entities:
                linked.append(person)
        for entity in linked:
            self.t["mapping_missingepisode_linked"].add(
                self.loader.ids("mapping_missingepisode_linked"), episode, entity
            )
        when = _date_time_label(self.cal, started)
        summary = f"Missing episode: went missing {when}, " + ("found" if ended_at else "not yet found")
        self.chronology(
            child.id, started, by, "missing_episode", summary, "missing_episode", episode, recorded=recorded
        )

    # Top-ups: the queues' daily work, where the referrals' own flow left a team's queue short ------------------------

    def top_ups(self) -> int:
        """Recent referrals waiting at each stage, for each team, up to the floor where the referrals' own flow left a
        queue short (always at a small scale), about children the area already knows. The SPOC's contacts are not
        logged yet, so name a child without linking one."""
        rng, floor = self.rng, self.targets.queue_floor
        made = 0
        by_area: dict[int, list[ChildPlan]] = {}
        for child in self.children:
            if not child.restricted and child.creator is not None and child.created_at < self.now - 10 * DAY:
                by_area.setdefault(child.area, []).append(child)
        latest = self._last_office_moment()
        stages = (*QUEUE_FLOORS.items(), ("co_allocated", REVIEW_FLOOR), ("draft", DRAFT_FLOOR))
        for area in self.areas:
            known = by_area.get(area.index, [])
            team_children = [child for child in known if child.open_to_team]
            for state, full in stages:
                want = max(3, round(full * floor))
                pool = team_children if state == "co_allocated" else known
                tries = 0
                while pool and self.live.get((area.index, state), 0) < want and tries < want * 4:
                    tries += 1
                    child = rng.choice(pool)
                    low, high = TOP_UP_AGE[state]
                    # Its age counted in office hours: counted on the clock, a Monday morning's top-ups began over
                    # the weekend, their steps fell after now, and the tries piled up contacts at the front door.
                    when = self.cal.before_in_hours(latest, rng.uniform(low, high))
                    unlogged = state in ("draft", "submitted", "awaiting_clarification")
                    fate = "advice" if state == "co_allocated" else "mash"
                    self._referral(
                        None if unlogged else child, area, when, fate, described=child, stop=state, pace=0.15
                    )
                    made += 1
        return made

    def _last_office_moment(self) -> int:
        """The last moment of office hours up to now (the seed's "now" may be a Sunday)."""
        moment = self.now
        while self.cal.in_hours(moment, self.rng) > self.now:
            moment -= HOUR
        return moment

    # The access log ---------------------------------------------------------------------------------------------------

    def access_out(self) -> tuple[int, int]:
        """Reading children's records makes most of the log: the queues that listed them and the pages that showed
        them, spread over the referrals and cases that were open, up to the target. Then the whole log in time
        order, chained."""
        rng = self.rng
        filler = max(0, self.targets.access_log - self.access_count)
        referrals, cases = self.seen_referrals, self.seen_cases
        for _ in range(filler):
            if cases[0] and rng.random() < 0.35:
                position = rng.randrange(len(cases[0]))
                case, child, area_index, start, end = (column[position] for column in cases)
                area = self.areas[area_index]
                at = self.cal.in_hours(start + rng.randrange(max(1, end - start)), rng)
                by = rng.choice(area.members) if rng.random() < 0.85 else rng.choice(area.case_holders)
                notes = ", ".join(str(n) for n in self.case_notes.get(case, []))
                self.accessed(
                    min(at, self.now), by, child, "viewed", f"case {case}; notes [{notes}]", "GET cases:case-detail"
                )
            elif referrals[0]:
                position = rng.randrange(len(referrals[0]))
                referral, child, area_index, start, end = (column[position] for column in referrals)
                area = self.areas[area_index]
                at = min(self.now, self.cal.in_hours(start + rng.randrange(max(1, end - start)), rng))
                roll = rng.random()
                if roll < 0.3:
                    by = rng.choice(area.triage)
                    self.accessed(at, by, child, "listed", "triage queue", "GET referrals:referral-queue")
                elif roll < 0.45:
                    by = rng.choice(area.mash)
                    self.accessed(at, by, child, "listed", "mash queue", "GET referrals:referral-queue")
                else:
                    by = rng.choice(area.triage + area.triage_managers + area.mash + area.spoc)
                    self.accessed(at, by, child, "viewed", f"referral {referral}", "GET referrals:referral-detail")
        written = 0
        table = self.t["audit_accesslogentry"]
        for month in sorted(self.access):
            rows = self.access.pop(month)
            rows.sort()
            for row in rows:
                at_text, user, agency, child_text, action, what, where = row.split("\x1e")
                entry = self.loader.ids("audit_accesslogentry")
                stamp = ts(int(at_text))
                entry_text = str(entry)
                canonical = (
                    f"{len(entry_text)}:{entry_text}\x1f27:{stamp}\x1f{len(user)}:{user}\x1f{len(agency)}:{agency}\x1f"
                    f"{len(child_text)}:{child_text}\x1f{len(action)}:{action}\x1f{len(what)}:{what}\x1f"
                    f"{len(where)}:{where}"
                )
                prev, this = self.access_chain.next(canonical)
                table.line(
                    f"{entry}\t{stamp}\t{user}\t{agency or NULL}\t{child_text}\t{action}\t{text(what)}\t{where}\t"
                    f"{prev}\t{this}"
                )
                written += 1
        return written, filler

    def grants_out(self) -> None:
        table = self.t["access_childuserobjectpermission"]
        for user, child in sorted(self.grants, key=lambda pair: (pair[1], pair[0])):
            table.add(self.loader.ids("access_childuserobjectpermission"), child, self.view_permission, user)


def _when(cal: Calendar, moment: int) -> str:
    """As evolve.cases.services._when: 22 Nov 2026 13:08, London time."""
    local = moment + cal.london_offset(moment // DAY) * 1_000_000
    stamp = ts(local)
    year, month, dayno = stamp[:10].split("-")
    return f"{int(dayno)} {MONTHS[int(month) - 1][:3]} {year} {stamp[11:16]}"


def _date_label(cal: Calendar, moment: int) -> str:
    local = cal.local_date(moment)
    year, month, dayno = day(local).split("-")
    return f"{int(dayno)} {MONTHS[int(month) - 1][:3]} {year}"


def _date_time_label(cal: Calendar, moment: int) -> str:
    local = moment + cal.london_offset(moment // DAY) * 1_000_000
    stamp = ts(local)
    year, month, dayno = stamp[:10].split("-")
    return f"{int(dayno)} {MONTHS[int(month) - 1]} {year} {stamp[11:16]}"


def _long_date(days: int) -> str:
    year, month, dayno = day(days).split("-")
    return f"{int(dayno)} {MONTHS[int(month) - 1]} {year}"


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
