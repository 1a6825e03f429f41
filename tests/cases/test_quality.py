"""The monthly quality assurance sample (seed 003): a random cohort of each team's open cases (40 unless configured),
one audit per child, completed by the assigned auditor or the team's managers and recorded on the child's file.

Cases are built directly (a child, a case, its "opened" status change): the sample is about which cases are open,
not how they came to be."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.cases.models import AUDIT_CHECKS, Case, CaseAudit, CaseStatusChange, QualitySample
from evolve.cases.quality import (
    AuditConflict,
    QualityRefused,
    case_audit_assign,
    case_audit_complete,
    quality_sample_draw,
)
from evolve.cases.selectors import quality_sample_counts
from evolve.cases.services import case_holder_set
from evolve.cases.tasks import quality_sample_monthly_task
from evolve.chronology.models import ChronologyEntry
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

TEAM = ["tm", "ds", "practitioner", "nurse", "officer"]
MANAGERS = ["tm", "ds"]
TEAM_NOT_MANAGERS = ["practitioner", "nurse", "officer"]
# Governance, a referrer, the front door, a manager outside the team, a case holder outside the team, an administrator.
OUTSIDE = ["governance", "teacher", "spoc", "mash", "head_of_service", "di", "case_holder", "admin"]
ALL_YES = {name: "yes" for name, _, _ in AUDIT_CHECKS}


@pytest.fixture
def users(crew: dict[str, User], make_user: Callable[..., User]) -> dict[str, User]:
    return {**crew, "admin": make_user(Role.ADMINISTRATOR, username="admin")}


@pytest.fixture
def open_case(crew: dict[str, User], team: Team) -> Callable[..., Case]:
    """A child's case open to a team (the crew's unless said), opened by its manager."""

    def make(
        *, to: Team | None = None, first_name: str = "Ellie", restricted_to: Agency | None = None, closed: bool = False
    ) -> Case:
        to = to or team
        child = ChildFactory.create(first_name=first_name, open_to_team=to, restricted_to_agency=restricted_to)
        case = Case.objects.create(child=child, team=to, opened_at=timezone.now(), opened_by=crew["tm"])
        CaseStatusChange.objects.create(case=case, change=CaseStatusChange.Change.OPENED, by=crew["tm"])
        if closed:
            case.closed_at = timezone.now()
            case.save(update_fields=["closed_at"])
            CaseStatusChange.objects.create(case=case, change=CaseStatusChange.Change.CLOSED, by=crew["tm"])
        return case

    return make


def _this_month() -> tuple[int, int]:
    today = timezone.localdate()
    return today.year, today.month


def _draw(team: Team, by: User | None = None, **kwargs: Any) -> QualitySample:
    year, month = kwargs.pop("year", None), kwargs.pop("month", None)
    if year is None or month is None:
        year, month = _this_month()
    return quality_sample_draw(team_id=team.pk, year=year, month=month, by=by, **kwargs).sample


def _drawn_cases(sample: QualitySample) -> set[int]:
    return set(CaseAudit.objects.filter(sample=sample).values_list("case_id", flat=True))


def _other_team(crew: dict[str, User]) -> Team:
    other = crew["other_team_member"].team
    assert other is not None
    return other


# Drawing the sample -------------------------------------------------------------------------------------------------


def test_the_sample_is_forty_of_the_open_cases_by_default_one_audit_each(
    crew: dict[str, User], team: Team, open_case: Callable[..., Case]
) -> None:
    assert django_settings.QA_SAMPLE_SIZE == 40
    cases = {open_case().pk for _ in range(45)}
    sample = _draw(team, crew["tm"])
    drawn = _drawn_cases(sample)
    assert len(drawn) == 40 and drawn <= cases
    assert CaseAudit.objects.filter(sample=sample).count() == 40  # one audit per child, none twice
    assert sample.size_asked == 40 and sample.drawn_by == crew["tm"]
    assert all(audit.completed_at is None and audit.grade == "" for audit in CaseAudit.objects.filter(sample=sample))


def test_the_draw_is_random(crew: dict[str, User], team: Team, open_case: Callable[..., Case]) -> None:
    """Five months drawn from the same 45 cases: the chance that a fixed (not random) draw would give five different
    cohorts is nil, and that a random one gives two alike is about one in 120,000."""
    for _ in range(45):
        open_case()
    cohorts = [frozenset(_drawn_cases(_draw(team, None, year=2020, month=month))) for month in range(1, 6)]
    assert all(len(cohort) == 40 for cohort in cohorts)
    assert len(set(cohorts)) > 1


def test_the_size_is_configurable(
    settings: Any, crew: dict[str, User], team: Team, open_case: Callable[..., Case]
) -> None:
    settings.QA_SAMPLE_SIZE = 5
    for _ in range(12):
        open_case()
    sample = _draw(team, crew["ds"])
    assert len(_drawn_cases(sample)) == 5 and sample.size_asked == 5


def test_fewer_open_cases_than_the_size_are_all_drawn_and_closed_or_other_teams_cases_never(
    crew: dict[str, User], team: Team, open_case: Callable[..., Case]
) -> None:
    open_now = {open_case().pk for _ in range(7)}
    closed = {open_case(closed=True).pk for _ in range(4)}
    elsewhere = {open_case(to=_other_team(crew)).pk for _ in range(5)}
    drawn = _drawn_cases(_draw(team, crew["tm"]))
    assert drawn == open_now
    assert not drawn & closed and not drawn & elsewhere


def test_a_team_with_no_open_case_has_an_empty_sample(crew: dict[str, User], team: Team) -> None:
    sample = _draw(team, crew["tm"])
    assert _drawn_cases(sample) == set()
    assert quality_sample_counts(team_id=team.pk, year=sample.year, month=sample.month).drawn == 0


def test_drawing_twice_gives_the_one_sample(crew: dict[str, User], team: Team, open_case: Callable[..., Case]) -> None:
    for _ in range(3):
        open_case()
    year, month = _this_month()
    first = quality_sample_draw(team_id=team.pk, year=year, month=month, by=None)
    open_case()  # opened since: the month's sample does not change
    again = quality_sample_draw(team_id=team.pk, year=year, month=month, by=crew["ds"])
    assert first.created and not again.created
    assert again.sample == first.sample and again.sample.drawn_by is None
    assert QualitySample.objects.filter(team=team).count() == 1
    assert CaseAudit.objects.count() == 3


@pytest.mark.parametrize("who", ["practitioner", "nurse", "governance", "head_of_service", "other_team_member"])
def test_only_the_teams_managers_draw(who: str, users: dict[str, User], team: Team) -> None:
    with pytest.raises(QualityRefused):
        _draw(team, users[who])
    assert not QualitySample.objects.exists()


def test_a_manager_draws_only_this_months_sample(crew: dict[str, User], team: Team) -> None:
    year, month = _this_month()
    with pytest.raises(QualityRefused, match="this month"):
        quality_sample_draw(team_id=team.pk, year=year - 1, month=month, by=crew["tm"])
    assert not QualitySample.objects.exists()


def test_the_monthly_task_draws_one_sample_per_team_however_often_it_runs(
    crew: dict[str, User], team: Team, open_case: Callable[..., Case], caplog: pytest.LogCaptureFixture
) -> None:
    other = _other_team(crew)
    for _ in range(3):
        open_case(first_name="Scarlett")
    open_case(to=other, first_name="Scarlett")
    with caplog.at_level(logging.INFO):
        first = quality_sample_monthly_task()
        second = quality_sample_monthly_task()
    assert sorted(first) == sorted(second)
    year, month = _this_month()
    samples = QualitySample.objects.filter(year=year, month=month)
    assert sorted(samples.values_list("team_id", flat=True)) == sorted([team.pk, other.pk])
    assert all(sample.drawn_by is None for sample in samples)
    assert CaseAudit.objects.count() == 4
    assert "Scarlett" not in caplog.text  # logs hold ids only


def test_the_task_is_registered_and_scheduled_early_on_the_first() -> None:
    from evolve.celery import app

    app.loader.import_default_modules()
    assert "evolve.cases.quality_sample_monthly_task" in app.tasks
    entry = django_settings.CELERY_BEAT_SCHEDULE["quality-sample-monthly"]
    assert entry["task"] == "evolve.cases.quality_sample_monthly_task"
    schedule: Any = entry["schedule"]
    assert schedule.day_of_month == {1} and schedule.hour == {2} and schedule.minute == {45}


# Completing an audit ------------------------------------------------------------------------------------------------


@pytest.fixture
def audit(crew: dict[str, User], team: Team, open_case: Callable[..., Case]) -> CaseAudit:
    """One child in this month's sample, assigned to the practitioner."""
    open_case(first_name="Poppy")
    sample = _draw(team, crew["tm"])
    audit = CaseAudit.objects.get(sample=sample)
    case_audit_assign(sample=sample, audits=[audit], by=crew["tm"], to=crew["practitioner"])
    return CaseAudit.objects.get(pk=audit.pk)


def _complete(audit: CaseAudit, by: User, **fields: Any) -> CaseAudit:
    values: dict[str, Any] = {
        "answers": ALL_YES,
        "grade": "good",
        "findings": "Risk assessment reviewed in date; the child's views recorded.",
        "actions": "",
        **fields,
    }
    return case_audit_complete(audit=audit, by=by, based_on_version=audit.version, **values)


def test_completing_an_audit_records_it_on_the_childs_chronology(crew: dict[str, User], audit: CaseAudit) -> None:
    done = _complete(audit, crew["practitioner"], grade="requires_improvement", actions="Supervision this week.")
    assert done.completed_at is not None and done.completed_by == crew["practitioner"]
    assert done.version == audit.version + 1
    entry = ChronologyEntry.objects.get(child_id=audit.case.child_id, kind="case.quality_audit")
    assert entry.summary == "Quality assurance audit completed: Requires improvement"
    assert "Risk assessment reviewed in date" in entry.rationale and "Supervision this week." in entry.rationale
    assert entry.user == crew["practitioner"]


def test_the_audit_page_completes_it_and_the_case_page_shows_it(
    crew: dict[str, User], audit: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    client = sign_in(crew["practitioner"])
    url = reverse("cases:case-audit", args=[audit.public_id])
    response = client.post(
        url,
        {**ALL_YES, "grade": "good", "findings": "A thorough file.", "version": audit.version, "complete": "1"},
    )
    assert response.status_code == 302
    tm_client = sign_in(crew["tm"])
    page = tm_client.get(reverse("cases:case-detail", args=[audit.case.public_id])).content.decode()
    assert 'data-testid="case-audits"' in page
    assert audit.sample.month_label in page and "Good" in page
    assert f"Completed by {crew['practitioner'].display_name}" in page
    assert "Quality assurance audit completed: Good" in page  # in the chronology
    assert "A thorough file." in tm_client.get(url).content.decode()


def test_a_draft_is_kept_without_completing(crew: dict[str, User], audit: CaseAudit) -> None:
    saved = case_audit_complete(
        audit=audit,
        by=crew["practitioner"],
        based_on_version=audit.version,
        answers={"risk_assessment": "no"},
        grade="",
        findings="Half way.",
        actions="",
        complete=False,
    )
    assert saved.completed_at is None and saved.findings == "Half way." and saved.risk_assessment == "no"
    assert not ChronologyEntry.objects.filter(kind="case.quality_audit").exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"findings": ""}, "findings", "Write the findings to complete the audit"),
        ({"grade": ""}, "grade", "Select the grade to complete the audit"),
        ({"grade": "inadequate", "actions": ""}, "actions", "Write the actions that must follow"),
        (
            {"answers": {**ALL_YES, "supervision": ""}},
            "supervision",
            "Select yes, no or not applicable for case supervision",
        ),
    ],
)
def test_completing_needs_the_findings_the_grade_and_every_answer(
    fields: dict[str, Any], field: str, message: str, crew: dict[str, User], audit: CaseAudit
) -> None:
    with pytest.raises(ValidationError) as refused:
        _complete(audit, crew["tm"], **fields)
    assert message in refused.value.message_dict[field][0]
    unchanged = CaseAudit.objects.get(pk=audit.pk)
    assert unchanged.completed_at is None and unchanged.version == audit.version and unchanged.findings == ""
    assert not ChronologyEntry.objects.filter(kind="case.quality_audit").exists()


def test_the_page_says_what_is_missing_and_keeps_what_was_written(
    crew: dict[str, User], audit: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    client = sign_in(crew["practitioner"])
    response = client.post(
        reverse("cases:case-audit", args=[audit.public_id]),
        {**ALL_YES, "actions": "Chase the school.", "version": audit.version, "complete": "1"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Write the findings to complete the audit" in page and "Select the grade" in page
    assert "Chase the school." in page
    assert CaseAudit.objects.get(pk=audit.pk).version == audit.version


def test_a_stale_version_is_refused_showing_theirs_and_keeping_yours(
    crew: dict[str, User], audit: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    stale = audit.version
    _complete(audit, crew["tm"], findings="The manager's findings.")
    with pytest.raises(AuditConflict):
        case_audit_complete(
            audit=audit,
            by=crew["practitioner"],
            based_on_version=stale,
            answers=ALL_YES,
            grade="good",
            findings="Mine.",
            actions="",
        )
    response = sign_in(crew["practitioner"]).post(
        reverse("cases:case-audit", args=[audit.public_id]),
        {
            **ALL_YES,
            "grade": "inadequate",
            "findings": "The practitioner's own findings.",
            "version": stale,
            "complete": "1",
        },
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this audit" in page
    assert "The manager&#x27;s findings." in page  # theirs, as saved
    assert "The practitioner&#x27;s own findings." in page  # yours, kept in the form
    kept = CaseAudit.objects.get(pk=audit.pk)
    assert kept.findings == "The manager's findings." and kept.grade == "good"
    assert ChronologyEntry.objects.filter(kind="case.quality_audit").count() == 1


def test_a_draft_saved_meanwhile_is_a_conflict_too_and_saving_again_applies_yours(
    crew: dict[str, User], audit: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    stale = audit.version
    case_audit_complete(
        audit=audit,
        by=crew["tm"],
        based_on_version=stale,
        answers={},
        grade="",
        findings="Draft.",
        actions="",
        complete=False,
    )
    client = sign_in(crew["practitioner"])
    url = reverse("cases:case-audit", args=[audit.public_id])
    posted = {**ALL_YES, "grade": "good", "findings": "Mine.", "complete": "1"}
    response = client.post(url, {**posted, "version": stale})
    assert response.status_code == 409
    assert f'name="version" value="{stale + 1}"' in response.content.decode()
    assert client.post(url, {**posted, "version": stale + 1}).status_code == 302
    assert CaseAudit.objects.get(pk=audit.pk).findings == "Mine."


def test_a_completed_audit_is_not_changed(crew: dict[str, User], audit: CaseAudit) -> None:
    done = _complete(audit, crew["tm"])
    with pytest.raises(QualityRefused, match="completed"):
        _complete(done, crew["ds"], findings="Again.")


def test_assigning_needs_someone_who_can_see_the_child(
    crew: dict[str, User], team: Team, police: Agency, open_case: Callable[..., Case]
) -> None:
    """A record restricted to the police: the police members of the team can audit it, children's services cannot."""
    open_case(restricted_to=police)
    sample = _draw(team, crew["ds"])
    audit = CaseAudit.objects.get(sample=sample)
    with pytest.raises(ValidationError, match="cannot see 1 of the children"):
        case_audit_assign(sample=sample, audits=[audit], by=crew["ds"], to=crew["practitioner"])
    assert case_audit_assign(sample=sample, audits=[audit], by=crew["ds"], to=crew["officer"]) == 1
    with pytest.raises(ValidationError, match="member of the team"):
        case_audit_assign(sample=sample, audits=[audit], by=crew["ds"], to=crew["other_team_member"])
    with pytest.raises(QualityRefused):
        case_audit_assign(sample=sample, audits=[audit], by=crew["practitioner"], to=crew["officer"])


def test_a_restricted_child_is_not_named_on_the_sample_page_to_those_who_cannot_see_them(
    crew: dict[str, User], team: Team, police: Agency, open_case: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    open_case(first_name="Imogen", restricted_to=police)
    open_case(first_name="Harriet")
    sample = _draw(team, crew["tm"])
    restricted = CaseAudit.objects.get(sample=sample, case__child__first_name="Imogen")
    url = reverse("cases:quality-sample", args=[sample.public_id])
    page = sign_in(crew["tm"]).get(url).content.decode()
    assert "Harriet" in page and "Imogen" not in page and 'data-testid="restricted-row"' in page
    assert sign_in(crew["tm"]).get(reverse("cases:case-audit", args=[restricted.public_id])).status_code == 404
    assert "Imogen" in sign_in(crew["ds"]).get(url).content.decode()


# Who may do what on each page ---------------------------------------------------------------------------------------


@pytest.fixture
def drawn(crew: dict[str, User], team: Team, open_case: Callable[..., Case]) -> CaseAudit:
    """This month's sample of one child (whose case a social worker outside the team holds), assigned to the
    practitioner."""
    case = open_case(first_name="Lily")
    case_holder_set(case=case, by=crew["tm"], based_on_version=case.version, holder=crew["case_holder"])
    sample = _draw(team, None)
    audit = CaseAudit.objects.get(sample=sample)
    case_audit_assign(sample=sample, audits=[audit], by=crew["tm"], to=crew["practitioner"])
    return CaseAudit.objects.get(pk=audit.pk)


@pytest.mark.parametrize("who", TEAM)
def test_team_members_see_the_samples_the_sample_and_the_audit(
    who: str, crew: dict[str, User], drawn: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    client = sign_in(crew[who])
    listing = client.get(reverse("cases:quality-samples"))
    assert listing.status_code == 200 and drawn.sample.month_label in listing.content.decode()
    sample_page = client.get(reverse("cases:quality-sample", args=[drawn.sample.public_id]))
    assert sample_page.status_code == 200 and "Lily" in sample_page.content.decode()
    assert client.get(reverse("cases:case-audit", args=[drawn.public_id])).status_code == 200


@pytest.mark.parametrize("who", OUTSIDE)
def test_no_one_outside_the_team_reaches_the_samples_or_a_childs_audit(
    who: str, users: dict[str, User], drawn: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    client = sign_in(users[who])
    assert client.get(reverse("cases:quality-samples")).status_code == 403
    assert client.post(reverse("cases:quality-samples")).status_code == 403
    sample_url = reverse("cases:quality-sample", args=[drawn.sample.public_id])
    assert client.get(sample_url).status_code == 404
    assert client.post(sample_url, {"auditor": users["tm"].pk, "audits": [str(drawn.public_id)]}).status_code == 404
    audit_url = reverse("cases:case-audit", args=[drawn.public_id])
    assert client.get(audit_url).status_code == 404
    posted = {**ALL_YES, "grade": "good", "findings": "x", "version": drawn.version, "complete": "1"}
    assert client.post(audit_url, posted).status_code == 404
    assert CaseAudit.objects.get(pk=drawn.pk).completed_at is None


def test_the_case_holder_outside_the_team_sees_the_case_but_not_its_audits(
    crew: dict[str, User], drawn: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    page = sign_in(crew["case_holder"]).get(reverse("cases:case-detail", args=[drawn.case.public_id]))
    assert page.status_code == 200
    assert "Quality assurance audits" not in page.content.decode()


def test_another_teams_member_does_not_see_this_teams_sample(
    crew: dict[str, User], drawn: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    client = sign_in(crew["other_team_member"])
    listing = client.get(reverse("cases:quality-samples"))
    assert listing.status_code == 200 and drawn.sample.month_label not in listing.content.decode()
    assert client.get(reverse("cases:quality-sample", args=[drawn.sample.public_id])).status_code == 404
    assert client.get(reverse("cases:case-audit", args=[drawn.public_id])).status_code == 404


@pytest.mark.parametrize("who", MANAGERS)
def test_the_managers_draw_this_months_sample_from_the_page_once(
    who: str, crew: dict[str, User], team: Team, open_case: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    for _ in range(2):
        open_case()
    client = sign_in(crew[who])
    url = reverse("cases:quality-samples")
    assert "Draw this month's sample" in client.get(url).content.decode()
    first = client.post(url)
    assert first.status_code == 302
    sample = QualitySample.objects.get(team=team)
    assert first["Location"] == reverse("cases:quality-sample", args=[sample.public_id])
    assert sample.drawn_by == crew[who] and sample.audits.count() == 2
    again = client.post(url, follow=True)
    assert "had already been drawn" in again.content.decode()
    assert QualitySample.objects.count() == 1
    assert "Draw this month's sample" not in client.get(url).content.decode()


@pytest.mark.parametrize("who", TEAM_NOT_MANAGERS)
def test_other_team_members_neither_draw_nor_assign(
    who: str, crew: dict[str, User], drawn: CaseAudit, open_case: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    client = sign_in(crew[who])
    assert "Draw this month" not in client.get(reverse("cases:quality-samples")).content.decode()
    assert client.post(reverse("cases:quality-samples")).status_code == 403
    url = reverse("cases:quality-sample", args=[drawn.sample.public_id])
    assert 'data-testid="assign-form"' not in client.get(url).content.decode()
    assert client.post(url, {"auditor": crew["nurse"].pk, "audits": [str(drawn.public_id)]}).status_code == 403
    assert CaseAudit.objects.get(pk=drawn.pk).assigned_to == crew["practitioner"]


@pytest.mark.parametrize("who", MANAGERS)
def test_the_managers_assign_an_auditor_on_the_sample_page(
    who: str, crew: dict[str, User], drawn: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    client = sign_in(crew[who])
    url = reverse("cases:quality-sample", args=[drawn.sample.public_id])
    assert 'data-testid="assign-form"' in client.get(url).content.decode()
    response = client.post(url, {"auditor": crew["nurse"].pk, "audits": [str(drawn.public_id)]})
    assert response.status_code == 302
    assert CaseAudit.objects.get(pk=drawn.pk).assigned_to == crew["nurse"]


def test_assigning_without_choosing_says_so_and_changes_nothing(
    crew: dict[str, User], drawn: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    response = sign_in(crew["tm"]).post(
        reverse("cases:quality-sample", args=[drawn.sample.public_id]), {"auditor": crew["nurse"].pk}
    )
    assert response.status_code == 400
    assert "Choose at least one child whose audit to assign" in response.content.decode()
    assert CaseAudit.objects.get(pk=drawn.pk).assigned_to == crew["practitioner"]


@pytest.mark.parametrize(("who", "may"), [("tm", True), ("ds", True), ("practitioner", True), ("nurse", False)])
def test_the_assigned_auditor_and_the_managers_complete_an_audit_no_one_else_in_the_team(
    who: str, may: bool, crew: dict[str, User], drawn: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    client = sign_in(crew[who])
    url = reverse("cases:case-audit", args=[drawn.public_id])
    form_shown = "Complete the audit" in client.get(url).content.decode()
    posted = {**ALL_YES, "grade": "good", "findings": "Checked.", "version": drawn.version, "complete": "1"}
    response = client.post(url, posted)
    assert form_shown is may
    assert response.status_code == (302 if may else 403)
    assert (CaseAudit.objects.get(pk=drawn.pk).completed_at is not None) is may


def test_reading_an_audit_is_logged(crew: dict[str, User], drawn: CaseAudit, sign_in: Callable[[User], Client]) -> None:
    sign_in(crew["nurse"]).get(reverse("cases:case-audit", args=[drawn.public_id]))
    entry = AccessLogEntry.objects.filter(user=crew["nurse"], child=drawn.case.child).latest("id")
    assert entry.action == AccessAction.VIEWED and f"quality assurance audit {drawn.pk}" in entry.what


def test_the_case_list_links_team_members_to_the_audits(
    crew: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    quality = reverse("cases:quality-samples")
    assert quality in sign_in(crew["tm"]).get(reverse("cases:case-list")).content.decode()
    assert quality not in sign_in(crew["case_holder"]).get(reverse("cases:case-list")).content.decode()


# What the pages cost, and the figures for the report ---------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_sample_page_costs_the_same_with_five_audits_as_with_twenty(
    settings: Any,
    crew: dict[str, User],
    team: Team,
    open_case: Callable[..., Case],
    sign_in: Callable[[User], Client],
) -> None:
    for _ in range(20):
        open_case()
    small = _draw(team, None, year=2024, month=1, size=5)
    large = _draw(team, None, year=2024, month=2, size=20)
    for sample in (small, large):
        audits = list(CaseAudit.objects.filter(sample=sample))
        case_audit_assign(sample=sample, audits=audits, by=crew["tm"], to=crew["practitioner"])
        for audit in CaseAudit.objects.filter(sample=sample)[:2]:
            _complete(audit, crew["ds"])
    client = sign_in(crew["tm"])
    five = _queries(client, reverse("cases:quality-sample", args=[small.public_id]))
    twenty = _queries(client, reverse("cases:quality-sample", args=[large.public_id]))
    assert five == twenty
    assert _queries(client, reverse("cases:quality-samples")) <= twenty


def test_the_case_page_costs_the_same_however_many_audits(
    crew: dict[str, User], team: Team, open_case: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    case = open_case()
    first = CaseAudit.objects.get(sample=_draw(team, None, year=2024, month=1))
    client = sign_in(crew["tm"])
    url = reverse("cases:case-detail", args=[case.public_id])
    one = _queries(client, url)
    _complete(first, crew["tm"])
    for month in range(2, 6):
        audit = CaseAudit.objects.get(sample=_draw(team, None, year=2024, month=month))
        case_audit_assign(sample=audit.sample, audits=[audit], by=crew["tm"], to=crew["nurse"])
        _complete(CaseAudit.objects.get(pk=audit.pk), crew["nurse"])
    assert _queries(client, url) == one


def test_the_counts_for_the_report_are_by_grade_without_identities(
    crew: dict[str, User], team: Team, open_case: Callable[..., Case]
) -> None:
    for _ in range(4):
        open_case()
    sample = _draw(team, crew["tm"])
    audits = list(CaseAudit.objects.filter(sample=sample))
    _complete(audits[0], crew["tm"], grade="good")
    _complete(audits[1], crew["tm"], grade="inadequate", actions="Strategy discussion now.")
    _complete(audits[2], crew["ds"], grade="good")
    counts = quality_sample_counts(team_id=team.pk, year=sample.year, month=sample.month)
    assert counts.drawn == 4 and counts.completed == 3
    assert counts.by_grade == [
        ("good", "Good", 2),
        ("requires_improvement", "Requires improvement", 0),
        ("inadequate", "Inadequate", 1),
    ]
    elsewhere = quality_sample_counts(team_id=_other_team(crew).pk, year=sample.year, month=sample.month)
    assert (elsewhere.drawn, elsewhere.completed) == (0, 0)
