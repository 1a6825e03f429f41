"""One world for the permission matrix, built once per test module through the services (as the pages build it):
two teams, a user per role, and a record of every kind for each object kind the matrix asks about.

Object kinds (the keys of `World.ids`), each a child with everything held about them:
- "team": a child open to the Evolve team, unrestricted: the team's shared work (its agencies are police, children's
  services and health).
- "police": a child open to the team whose record is restricted to the police: their own agency's record for the
  detective sergeant and the police practitioner, another agency's for the rest of the team.
- "allocated": a child restricted to the police too, whose case the case-holding social worker holds and on which
  the health practitioner is allocated: allocation is an explicit grant, so both see it though neither is police.
- "other_team": a child open to another team, worked by that team.
Referrals at the front door have their own kinds: "draft", "submitted" (waiting for the SPOC), "triage" (logged,
waiting for triage) and "mash" (with the MASH; the child's consent dispensed with, for the Head of Service).

The data is made inside a transaction the module rolls back when it is done; each test runs inside it (pytest-django
nests the test's own transaction as a savepoint), so nothing a request writes outlives its test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from pytest_django import DjangoDbBlocker
from rest_framework.authtoken.models import Token

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.cases.models import AllocationRole, Case, CaseAudit, DecisionKind
from evolve.cases.quality import quality_sample_draw
from evolve.cases.services import (
    agency_checks_request_team,
    allocation_add,
    case_holder_set,
    case_note_add,
    decision_escalate,
    decision_view_record,
)
from evolve.people.models import Child
from evolve.uploads.fields import SafeFileField
from mapping.models import DisruptionKind, Entity, EntityKind, LinkKind, LocationType, PersonOfConcern
from mapping.services import (
    EpisodeInput,
    LinkInput,
    child_entity,
    disruption_record,
    entity_record,
    investigation_open,
    link_record,
    missing_episode_record,
    prosecution_record,
)
from meetings.minutes import minutes_build
from meetings.models import AgendaItem
from meetings.services import action_add, attendance_add, item_record, meeting_close, meeting_schedule
from referrals.models import Referral
from referrals.services import (
    MashDecision,
    TriageDecision,
    mash_check_record,
    referral_attachment_add,
    referral_co_allocate,
    referral_draft_create,
    referral_draft_save,
    referral_log,
    referral_screen,
    referral_send_to_mash,
    referral_submit,
)
from reporting.services import report_build, report_request
from risk.models import Answer, Indicator
from risk.selectors import catalogue_current
from risk.services import AnswerInput, assessment_record
from tests.conftest import signed_in
from tests.factories import AgencyFactory, ChildFactory, TeamFactory, UserFactory, totp_device
from tests.security.matrix import ROLES, SIGNED_OUT
from tests.uploads.samples import pdf_bytes


@dataclass
class World:
    users: dict[str, User]  # one per role of the matrix (not the signed-out visitor)
    ids: dict[str, dict[str, str]]  # object kind -> placeholder -> the value to put in the URL
    helpers: dict[str, User] = field(default_factory=dict)  # people the world needed who are not matrix roles
    clients: dict[str, Client] = field(default_factory=dict)  # role -> a client signed in past both factors


def _referral_fields(first_name: str, consent: str = "given") -> dict[str, Any]:
    return {
        "child_first_name": first_name,
        "child_last_name": "Matrixchild",
        "child_date_of_birth": date(2011, 6, 2),
        "concern": "Seen getting into cars with older men after school; new phone and clothes.",
        "urgency": "routine",
        "consent": consent,
        "consent_reason": "Asking would put the child at risk." if consent == "dispensed_with" else "",
    }


class _Builder:
    """The steps of the pathway, each taken by the person whose step it is."""

    def __init__(self, users: dict[str, User], helpers: dict[str, User]) -> None:
        self.users = users
        self.helpers = helpers

    def referral(
        self,
        first_name: str,
        stage: str,
        *,
        team: Team | None = None,
        consent: str = "given",
        child: Child | None = None,
    ) -> Referral:
        """A MARF from the school brought to `stage`; logged against `child` if the child is known already."""
        teacher = self.users["referrer"]
        referral = referral_draft_create(by=teacher)
        referral = referral_draft_save(
            referral=referral,
            by=teacher,
            based_on_version=referral.version,
            fields=_referral_fields(first_name, consent),
            indicator_ids=[],
        )
        upload = SafeFileField().clean(SimpleUploadedFile("worry.pdf", pdf_bytes(), "application/pdf"))
        referral_attachment_add(referral=referral, by=teacher, upload=upload)
        if stage == "draft":
            return referral
        referral = referral_submit(referral=referral, by=teacher, based_on_version=referral.version)
        if stage == "submitted":
            return referral
        child = child or ChildFactory.create(
            first_name=first_name, last_name="Matrixchild", date_of_birth=date(2011, 6, 2)
        )
        referral = referral_log(
            referral=referral, by=self.users["spoc"], based_on_version=referral.version, child=child
        )
        if stage == "triage":
            return referral
        referral = referral_screen(
            referral=referral, by=self.users["triage_worker"], based_on_version=referral.version, notes="Indicators."
        )
        referral = referral_send_to_mash(
            referral=referral,
            by=self.users["triage_manager"],
            based_on_version=referral.version,
            decision=TriageDecision(threshold="child_protection", rag="amber", rationale="Several indicators."),
        )
        if stage == "mash":
            return referral
        mash_check_record(referral=referral, by=self.helpers["mash_police"], holds_information=True, summary="Known.")
        assert team is not None
        return referral_co_allocate(
            referral=referral,
            by=self.users["mash_worker"],
            based_on_version=referral.version,
            decision=MashDecision(rag="red", intervention="section_47", rationale="Intelligence.", team=team),
        )

    def decide(self, referral: Referral, managers: tuple[User, User]) -> Case:
        for manager in managers:
            outcome = decision_view_record(
                referral=referral, by=manager, kind=DecisionKind.RISK_ASSESSMENT_MEETING, rationale="Agreed."
            )
        assert outcome.decision is not None and outcome.decision.case is not None
        return outcome.decision.case

    def answers(self, source: Agency) -> list[AnswerInput]:
        codes = Indicator.objects.filter(category__version=catalogue_current()).values_list("code", flat=True)
        return [
            AnswerInput(code=code, answer=Answer.PRESENT, seen="current", evidence="Seen.", source_agency_id=source.pk)
            if number == 0
            else AnswerInput(code=code, answer=Answer.NOT_PRESENT)
            for number, code in enumerate(codes)
        ]


def _person(by: User, first_name: str, restricted: bool = False) -> PersonOfConcern:
    entity = entity_record(
        by=by,
        kind=EntityKind.PERSON,
        details={"first_name": first_name, "last_name": "Sample"},
        restricted_to_agency_id=by.agency_id if restricted else None,
        not_a_duplicate=True,
    )
    return PersonOfConcern.objects.get(pk=entity.pk)


def _place(by: User, name: str, restricted: bool = False) -> Entity:
    """A location: what goes to the Intelligence Sharing Meeting (with groups), so the one that can be flagged."""
    return entity_record(
        by=by,
        kind=EntityKind.LOCATION,
        details={"name": name, "location_type": LocationType.HOTEL, "address": "1 High Street"},
        restricted_to_agency_id=by.agency_id if restricted else None,
        not_a_duplicate=True,
    )


def _link(by: User, a: Any, b: Any, restricted: bool = False) -> Any:
    ends = [child_entity(child=end, by=by) if isinstance(end, Child) else end for end in (a, b)]
    assert by.agency_id is not None
    return link_record(
        by=by,
        a=ends[0],
        b=ends[1],
        given=LinkInput(
            kind=LinkKind.ASSOCIATES_WITH,
            source_agency_id=by.agency_id,
            confidence="probable",
            evidence="Seen together.",
            restricted_to_agency_id=by.agency_id if restricted else None,
        ),
    )


def build_world() -> World:
    police = AgencyFactory.create(name="Police Public Protection Unit", short_name="PPU", kind=Agency.Kind.POLICE)
    social_care = AgencyFactory.create(
        name="Children's Services", short_name="CS", kind=Agency.Kind.CHILDRENS_SOCIAL_CARE
    )
    health = AgencyFactory.create(name="Foundation Trust", short_name="Trust", kind=Agency.Kind.HEALTH)
    school = AgencyFactory.create(name="Hilltop School", short_name="Hilltop", kind=Agency.Kind.EDUCATION)
    team = TeamFactory.create(name="Evolve")
    team.agencies.set([police, social_care, health])
    other_team = TeamFactory.create(name="Another team")
    other_team.agencies.set([police, social_care])

    def user(name: str, role: Role, agency: Agency, in_team: Team | None = None, **more: Any) -> User:
        return UserFactory.create(username=name, roles=[role], agency=agency, team=in_team, **more)

    users = {
        "team_manager": user("tm", Role.TEAM_MANAGER, social_care, team),
        "detective_sergeant": user("ds", Role.DETECTIVE_SERGEANT, police, team),
        "police_practitioner": user("officer", Role.PRACTITIONER, police, team),
        "social_care_practitioner": user("sw", Role.PRACTITIONER, social_care, team),
        "health_practitioner": user("nurse", Role.PRACTITIONER, health, team),
        "other_team_member": user("elsewhere", Role.PRACTITIONER, social_care, other_team),
        "spoc": user("spoc", Role.SPOC_WORKER, social_care),
        "triage_worker": user("triage", Role.TRIAGE_WORKER, social_care),
        "triage_manager": user("triage-manager", Role.TRIAGE_MANAGER, social_care),
        "mash_worker": user("mash", Role.MASH_WORKER, social_care),
        "case_holder": user("case-holder", Role.CASE_HOLDING_SOCIAL_WORKER, social_care),
        "referrer": user("teacher", Role.REFERRER, school),
        "head_of_service": user("hos", Role.HEAD_OF_SERVICE, social_care),
        "service_manager": user("di", Role.SERVICE_MANAGER, police),  # the detective inspector
        "governance": user("governance", Role.GOVERNANCE, social_care),
        "administrator": user("admin", Role.ADMINISTRATOR, social_care, is_staff=True, is_superuser=True),
    }
    helpers = {
        "mash_police": user("mash-police", Role.MASH_WORKER, police),
        "other_tm": user("other-tm", Role.TEAM_MANAGER, social_care, other_team),
        "other_ds": user("other-ds", Role.DETECTIVE_SERGEANT, police, other_team),
    }
    build = _Builder(users, helpers)
    tm, ds = users["team_manager"], users["detective_sergeant"]
    officer, nurse = users["police_practitioner"], users["health_practitioner"]
    other_member, other_tm, other_ds = users["other_team_member"], helpers["other_tm"], helpers["other_ds"]

    # The children and their cases, each through the pathway and the daily review.
    referrals = {
        "team": build.referral("Ava", "co_allocated", team=team),
        "police": build.referral("Poppy", "co_allocated", team=team),
        "allocated": build.referral("Lily", "co_allocated", team=team),
        "other_team": build.referral("Xena", "co_allocated", team=other_team),
    }
    cases = {kind: build.decide(referral, (tm, ds)) for kind, referral in referrals.items() if kind != "other_team"}
    cases["other_team"] = build.decide(referrals["other_team"], (other_tm, other_ds))
    children = {kind: case.child for kind, case in cases.items()}
    case_holder_set(
        case=cases["allocated"], by=tm, based_on_version=cases["allocated"].version, holder=users["case_holder"]
    )
    today = timezone.localdate()
    allocations = {
        "team": allocation_add(
            case=cases["team"],
            by=tm,
            user=users["social_care_practitioner"],
            role=AllocationRole.SOCIAL_WORK_LEAD,
            start_on=today,
        ),
        "police": allocation_add(
            case=cases["police"], by=ds, user=officer, role=AllocationRole.POLICE_INVESTIGATION, start_on=today
        ),
        "allocated": allocation_add(
            case=cases["allocated"], by=tm, user=nurse, role=AllocationRole.CSE_NURSE, start_on=today
        ),
        "other_team": allocation_add(
            case=cases["other_team"],
            by=other_tm,
            user=other_member,
            role=AllocationRole.SOCIAL_WORK_LEAD,
            start_on=today,
        ),
    }
    notes = {
        "team": case_note_add(case=cases["team"], by=nurse, text="Seen at the clinic.", restricted=True),
        "police": case_note_add(case=cases["police"], by=officer, text="Intelligence report.", restricted=True),
        "allocated": case_note_add(case=cases["allocated"], by=officer, text="Patrol sighting.", restricted=True),
        "other_team": case_note_add(case=cases["other_team"], by=other_member, text="Home visit.", restricted=True),
    }

    # A second referral about the team's child, waiting for the daily review: agency checks asked, a disagreement
    # escalated to the service managers. And one waiting in the other team.
    waiting = build.referral("Ava", "co_allocated", team=team, child=children["team"])
    checks = agency_checks_request_team(referral=waiting, by=tm, due_at=timezone.now() + timedelta(days=1))
    decision_view_record(referral=waiting, by=tm, kind=DecisionKind.RISK_ASSESSMENT_MEETING, rationale="Meeting.")
    decision_view_record(referral=waiting, by=ds, kind=DecisionKind.STRATEGY_DISCUSSION, rationale="Urgent.")
    escalation = decision_escalate(referral=waiting, by=ds, note="We disagree on urgency.")
    other_waiting = build.referral("Xena", "co_allocated", team=other_team, child=children["other_team"])

    # Referrals at the front door.
    stages = {
        "draft": build.referral("Dora", "draft"),
        "submitted": build.referral("Sara", "submitted"),
        "triage": build.referral("Tia", "triage"),
        "mash": build.referral("Mia", "mash", consent="dispensed_with"),
    }

    # The police restrict two of the children's records (after the team had worked on them: as happens).
    for kind in ("police", "allocated"):
        Child.objects.filter(pk=children[kind].pk).update(restricted_to_agency=police)
        children[kind].refresh_from_db()

    # Risk assessments.
    assessments = {
        kind: assessment_record(
            child=children[kind],
            by=other_member if kind == "other_team" else officer,
            answers=build.answers(police),
            next_review_on=today + timedelta(days=42),
            summary="Screened with the school and police.",
        )
        for kind in children
    }

    # Mapping: people of concern (one restricted to the police), links, missing episodes, pursuit.
    people = {
        "team": _person(officer, "Pat"),
        "police": _person(officer, "Sam", restricted=True),
        "other_team": _person(other_member, "Kim"),
    }
    places = {
        "team": _place(officer, "Station Hotel"),
        "police": _place(officer, "Park Inn", restricted=True),
        "other_team": _place(other_member, "Town Hotel"),
    }
    links = {
        "team": _link(officer, people["team"], children["team"]),
        "police": _link(officer, people["police"], children["team"], restricted=True),
        "other_team": _link(other_member, people["other_team"], children["other_team"]),
    }
    episodes = {
        kind: missing_episode_record(
            child=children[kind],
            by=other_member if kind == "other_team" else officer,
            given=EpisodeInput(started_at=timezone.now() - timedelta(days=3)),
        )
        for kind in children
    }
    investigations = {
        "team": investigation_open(
            by=officer,
            reference="OP TEAM",
            summary="Exploitation",
            opened_on=today,
            lead_officer=officer,
            children=[children["team"]],
            perpetrators=[people["team"]],
        ),
        "police": investigation_open(
            by=officer,
            reference="OP POLICE",
            summary="Exploitation",
            opened_on=today,
            lead_officer=officer,
            perpetrators=[people["police"]],
            restricted_to_agency_id=police.pk,
        ),
        "other_team": investigation_open(
            by=other_member,
            reference="OP ELSEWHERE",
            summary="Exploitation",
            opened_on=today,
            lead_officer=other_member,
            children=[children["other_team"]],
            perpetrators=[people["other_team"]],
        ),
    }
    prosecutions = {
        kind: prosecution_record(
            by=other_member if kind == "other_team" else officer,
            perpetrator=people[kind],
            charges="Offences",
            charged_on=today,
        )
        for kind in people
    }
    disruptions = {
        "team": disruption_record(
            by=officer, kind=DisruptionKind.CAWN, target=people["team"], taken_on=today, child=children["team"]
        ),
        "police": disruption_record(by=officer, kind=DisruptionKind.SRO, target=people["police"], taken_on=today),
        "other_team": disruption_record(
            by=other_member,
            kind=DisruptionKind.CAWN,
            target=people["other_team"],
            taken_on=today,
            child=children["other_team"],
        ),
    }

    # The weekly meetings, held and closed, with minutes; a disagreement on the team child escalated to the police.
    meeting = meeting_schedule(by=tm, starts_at=timezone.now() - timedelta(hours=2), place="Riverside House")
    items = {item.child_id: item for item in AgendaItem.objects.filter(meeting=meeting)}
    assert set(items) == {children[kind].pk for kind in ("team", "police", "allocated")}, items
    attendance_add(meeting=meeting, by=tm, agency=police, name="A. Officer")
    item_record(
        item=items[children["team"].pk],
        by=tm,
        based_on_version=None,
        discussion="Discussed.",
        disagreement="The police see the risk as higher.",
        escalate_to=police,
    )
    action = action_add(item=items[children["team"].pk], by=tm, description="Visit school.", owner=nurse, due_on=today)
    meeting = meeting_close(meeting=meeting, by=tm)
    minutes_build(meeting_id=meeting.pk)
    other_meeting = meeting_schedule(by=other_tm, starts_at=timezone.now() - timedelta(hours=2), place="Town Hall")
    other_item = AgendaItem.objects.get(meeting=other_meeting, child=children["other_team"])
    attendance_add(meeting=other_meeting, by=other_tm, agency=social_care, name="B. Worker")
    item_record(item=other_item, by=other_tm, based_on_version=None, discussion="Discussed.")
    other_action = action_add(item=other_item, by=other_tm, description="Visit home.", owner=other_member, due_on=today)
    other_meeting = meeting_close(meeting=other_meeting, by=other_tm)
    minutes_build(meeting_id=other_meeting.pk)
    meetings = {"team": meeting, "other_team": other_meeting}
    agenda = {
        **{kind: items[children[kind].pk] for kind in ("team", "police", "allocated")},
        "other_team": other_item,
    }

    # The monthly reports, and this month's quality assurance samples.
    reports = {
        kind: report_build(build_id=report_request(team_id=which.pk, year=2025, month=3, by=None).pk)
        for kind, which in (("team", team), ("other_team", other_team))
    }
    samples = {
        kind: quality_sample_draw(team_id=which.pk, year=today.year, month=today.month, by=None).sample
        for kind, which in (("team", team), ("other_team", other_team))
    }
    audits = {kind: CaseAudit.objects.get(case=case) for kind, case in cases.items()}

    # Data protection: a subject access export of each child, a retention review of each, a legal hold on each.
    # (Imported here: every module in tests/security loads this file, and only the matrix needs these.)
    from dataprotection.models import RetentionReview
    from dataprotection.retention import RULES
    from dataprotection.services import legal_hold_place, subject_access_export_build, subject_access_export_request
    from evolve.access.breakglass import break_glass_open

    makers = {"team": tm, "police": ds, "allocated": ds, "other_team": other_tm}
    exports = {kind: subject_access_export_request(child=children[kind], by=by) for kind, by in makers.items()}
    for export in exports.values():
        subject_access_export_build(export_id=export.pk)  # the task's work, done here: nothing runs after commit
    reviews = {
        kind: RetentionReview.objects.create(child=children[kind], rule=next(iter(RULES)), due_on=today)
        for kind in makers
    }
    holds = {
        kind: legal_hold_place(child=children[kind], by=by, inquiry="Independent inquiry", reason="Needed.")
        for kind, by in makers.items()
    }

    # Break-glass: a social worker of the team opened the police's record in an emergency, for the police's managers
    # to review. (Not a matrix role: a matrix user with an opening would see that child everywhere for an hour.)
    breaker = user("breaker", Role.PRACTITIONER, social_care, team)
    helpers["breaker"] = breaker
    opening = break_glass_open(
        user=breaker, child=children["police"], reason="The child has gone missing tonight.", understood=True
    )

    ids: dict[str, dict[str, str]] = {}
    for kind in ("team", "police", "allocated", "other_team"):
        found = {
            "child": children[kind].public_id,
            "case": cases[kind].public_id,
            "allocation": allocations[kind].public_id,
            "note": notes[kind].public_id,
            "referral": referrals[kind].public_id,
            "decision": cases[kind].decisions.get().public_id,
            "assessment": assessments[kind].public_id,
            "episode": episodes[kind].public_id,
            "item": agenda[kind].public_id,
            "meeting": meetings.get(kind, meetings["team"]).public_id,
            "audit": audits[kind].public_id,
            "export": exports[kind].public_id,
            "review": reviews[kind].public_id,
            "hold": holds[kind].public_id,
        }
        ids[kind] = {key: str(value) for key, value in found.items() if value is not None}
    for kind in ("team", "police", "other_team"):
        ids[kind].update(
            record=str(people[kind].public_id),
            place=str(places[kind].public_id),
            link=str(links[kind].public_id),
            investigation=str(investigations[kind].public_id),
            prosecution=str(prosecutions[kind].public_id),
            disruption=str(disruptions[kind].public_id),
        )
    for kind in ("team", "other_team"):
        ids[kind].update(
            report=str(reports[kind].build.public_id),
            sample=str(samples[kind].public_id),
            action=str((action if kind == "team" else other_action).public_id),
        )
    ids["team"].update(waiting=str(waiting.public_id), check=str(checks[0].public_id))
    ids["police"]["opening"] = str(opening.public_id)
    ids["team"]["escalation"] = str(escalation.public_id)
    ids["other_team"]["waiting"] = str(other_waiting.public_id)
    for stage, referral in stages.items():
        ids[stage] = {"referral": str(referral.public_id)}
    for kind, referral in {**referrals, **stages}.items():
        ids[kind]["attachment"] = str(referral.attachments.get().public_id)
    for someone in users.values():
        totp_device(someone)
    ids["admin"] = _admin_ids(users)
    return World(users=users, ids=ids, helpers=helpers)


def _admin_ids(users: dict[str, User]) -> dict[str, str]:
    """A real row for each model the admin site has, so each change page is asked about a record that exists."""
    Group.objects.create(name="Matrix group")
    Token.objects.create(user=users["administrator"])
    StaticDevice.objects.create(user=users["administrator"], name="Backup codes")
    AccessAttempt.objects.create(username="someone", ip_address="127.0.0.1", failures_since_start=1)
    AccessLog.objects.create(username="someone", ip_address="127.0.0.1")
    AccessFailureLog.objects.create(username="someone", ip_address="127.0.0.1")
    ids = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        assert first is not None, f"no {model.__name__} for the admin pages"
        ids[f"{model._meta.app_label}_{model._meta.model_name}"] = str(first)
    ids["content_type"] = str(ContentType.objects.get_for_model(User).pk)
    ids["admin_user"] = str(users["referrer"].pk)
    return ids


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        assert set(built.users) == set(ROLES) - {SIGNED_OUT}, "a user for each role of the matrix"
        for role, user in built.users.items():
            built.clients[role] = signed_in(Client(), user)
        built.clients[SIGNED_OUT] = Client()
        yield built
        transaction.set_rollback(True)
