"""An adversarial review of the monthly quality assurance sample (issue 7): what an auditor's text, a restricted child,
two managers at once and a growing team do to it. Each test names the property it checks."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import Agency, Team, User
from evolve.cases.models import AUDIT_CHECKS, Case, CaseAudit, CaseStatusChange, QualitySample
from evolve.cases.quality import QualityRefused, case_audit_assign, case_audit_complete, quality_sample_draw
from evolve.chronology.models import ChronologyEntry
from evolve.notifications.models import Notification
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

ALL_YES = {name: "yes" for name, _, _ in AUDIT_CHECKS}


@pytest.fixture
def open_case(crew: dict[str, User], team: Team) -> Callable[..., Case]:
    def make(*, first_name: str = "Ellie", restricted_to: Agency | None = None) -> Case:
        child = ChildFactory.create(first_name=first_name, open_to_team=team, restricted_to_agency=restricted_to)
        case = Case.objects.create(child=child, team=team, opened_at=timezone.now(), opened_by=crew["tm"])
        CaseStatusChange.objects.create(case=case, change=CaseStatusChange.Change.OPENED, by=crew["tm"])
        return case

    return make


def _draw(team: Team, by: User | None = None, *, year: int | None = None, month: int | None = None) -> QualitySample:
    today = timezone.localdate()
    return quality_sample_draw(team_id=team.pk, year=year or today.year, month=month or today.month, by=by).sample


@pytest.fixture
def assigned(crew: dict[str, User], team: Team, open_case: Callable[..., Case]) -> CaseAudit:
    """This month's sample of one child, Rosalind, assigned to the practitioner."""
    open_case(first_name="Rosalind")
    sample = _draw(team, crew["tm"])
    audit = CaseAudit.objects.get(sample=sample)
    case_audit_assign(sample=sample, audits=[audit], by=crew["tm"], to=crew["practitioner"])
    return CaseAudit.objects.get(pk=audit.pk)


# Defects ------------------------------------------------------------------------------------------------------------


def test_an_auditor_whose_audit_is_reassigned_while_they_write_keeps_their_text(
    crew: dict[str, User], assigned: CaseAudit, sign_in: Callable[[User], Client]
) -> None:
    """The practitioner opens their audit and writes the findings; meanwhile the manager gives the audit to the
    nurse. Saving must not throw the practitioner's text away (case_audit_assign moves the version on precisely so
    "someone else's unsaved page is told"): the page comes back with what they wrote, and nothing is changed."""
    url = reverse("cases:case-audit", args=[assigned.public_id])
    client = sign_in(crew["practitioner"])
    assert "Complete the audit" in client.get(url).content.decode()
    case_audit_assign(sample=assigned.sample, audits=[assigned], by=crew["tm"], to=crew["nurse"])
    written = "Plan reviewed line by line; supervision notes missing for two months."
    response = client.post(
        url, {**ALL_YES, "grade": "good", "findings": written, "version": assigned.version, "complete": "1"}
    )
    assert response.status_code in (403, 409)
    assert written in response.content.decode()  # what they wrote is on the page to copy
    kept = CaseAudit.objects.get(pk=assigned.pk)
    assert kept.assigned_to == crew["nurse"] and kept.findings == "" and kept.completed_at is None


# What holds ---------------------------------------------------------------------------------------------------------


def test_the_auditors_notification_names_no_child(crew: dict[str, User], assigned: CaseAudit) -> None:
    sent = Notification.objects.filter(user=crew["practitioner"]).latest("id")
    text = f"{sent.subject} {sent.body}"
    assert "audit" in text and "Rosalind" not in text and assigned.case.child.last_name not in text


def test_a_manager_who_cannot_see_a_restricted_child_cannot_complete_its_audit(
    crew: dict[str, User], team: Team, police: Agency, open_case: Callable[..., Case]
) -> None:
    """The social-care team manager cannot see a record restricted to the police: the service refuses them even
    called directly, and nothing is written to the child's file."""
    open_case(first_name="Imogen", restricted_to=police)
    audit = CaseAudit.objects.get(sample=_draw(team, crew["ds"]))
    with pytest.raises(QualityRefused):
        case_audit_complete(
            audit=audit,
            by=crew["tm"],
            based_on_version=audit.version,
            answers=ALL_YES,
            grade="good",
            findings="Seen.",
            actions="",
        )
    assert CaseAudit.objects.get(pk=audit.pk).completed_at is None
    assert not ChronologyEntry.objects.filter(kind="case.quality_audit").exists()


def test_an_auditor_cannot_be_given_a_restricted_child_through_the_sample_page(
    crew: dict[str, User], team: Team, police: Agency, open_case: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    """The detective sergeant (police) sees the police-restricted child; posting it to a social-care practitioner
    is refused with a message and nothing is assigned."""
    open_case(first_name="Imogen", restricted_to=police)
    sample = _draw(team, crew["ds"])
    audit = CaseAudit.objects.get(sample=sample)
    response = sign_in(crew["ds"]).post(
        reverse("cases:quality-sample", args=[sample.public_id]),
        {"auditor": crew["practitioner"].pk, "audits": [str(audit.public_id)]},
    )
    assert response.status_code == 400
    assert "cannot see 1 of the children" in response.content.decode()
    assert CaseAudit.objects.get(pk=audit.pk).assigned_to is None


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_samples_page_costs_the_same_however_many_audits_are_assigned_to_you(
    crew: dict[str, User], team: Team, open_case: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    for _ in range(12):
        open_case()
    small = _draw(team, None, year=2024, month=1)
    audits = list(CaseAudit.objects.filter(sample=small))
    case_audit_assign(sample=small, audits=audits[:2], by=crew["tm"], to=crew["practitioner"])
    client = sign_in(crew["practitioner"])
    url = reverse("cases:quality-samples")
    two = _queries(client, url)
    case_audit_assign(sample=small, audits=audits[2:], by=crew["tm"], to=crew["practitioner"])
    _draw(team, None, year=2024, month=2)
    assert _queries(client, url) == two


@pytest.mark.django_db(transaction=True)
def test_two_draws_at_once_make_one_sample(crew: dict[str, User], team: Team, open_case: Callable[..., Case]) -> None:
    """The schedule and both managers draw this month's sample at the same moment: one sample, one audit per child,
    no error."""
    for _ in range(6):
        open_case()
    start = threading.Barrier(3)
    errors: list[BaseException] = []
    drawn: list[int] = []

    def draw(by: User | None) -> None:
        try:
            start.wait()
            drawn.append(_draw(team, by).pk)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=draw, args=(by,)) for by in (None, crew["tm"], crew["ds"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(drawn)) == 1 and QualitySample.objects.count() == 1
    assert CaseAudit.objects.count() == 6
