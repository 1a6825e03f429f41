"""Who sees what on an Evolve case: notes restricted to one agency, shared by a recorded entry in the
information-sharing ledger, and the case itself for people outside the team (DESIGN.md, "Information sharing and
access")."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from evolve.access import gate
from evolve.access.models import InformationShare, LawfulBasis, ShareConsent
from evolve.accounts.models import Agency, User
from evolve.accounts.roles import Role
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.cases.models import Allocation, AllocationRole, Case, CaseNote, DecisionKind
from evolve.cases.selectors import case_page, cases_for_user, notes_for_case
from evolve.cases.services import (
    CaseRefused,
    allocation_add,
    allocation_end,
    case_holder_set,
    case_note_add,
    case_note_share,
)
from evolve.chronology.selectors import chronology_for_child
from referrals.models import Referral
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

CLINICAL = "Attended the sexual health clinic; disclosed an older boyfriend."
SIGHTING = "Seen near the takeaway on Friday night with two adults."


@pytest.fixture
def case(waiting: Referral, decide: Callable[[Referral, str], Case]) -> Case:
    return decide(waiting, DecisionKind.RISK_ASSESSMENT_MEETING)


@pytest.fixture
def clinical_note(case: Case, crew: dict[str, User]) -> CaseNote:
    """A health clinical note, restricted to health, on a case the police officer works on too."""
    return case_note_add(case=case, by=crew["nurse"], text=CLINICAL, restricted=True)


def _sees(user: User, case: Case, note: CaseNote) -> dict[str, bool]:
    """Every place the note's content could reach the user."""
    chronology = chronology_for_child(child_id=case.child_id, viewer=user)
    return {
        "notes": notes_for_case(user=user, case=case).filter(pk=note.pk).exists(),
        "search": notes_for_case(user=user, case=case, search="sexual health").filter(pk=note.pk).exists(),
        "chronology": chronology.filter(source_type="case_note", source_id=note.pk).exists()
        or any(CLINICAL in entry.rationale for entry in chronology),
        "case_page": note in case_page(user=user, case=case).notes,
    }


def _notes_logged(user: User, case: Case) -> list[list[int]]:
    """The note ids each logged read of the case page by `user` showed, oldest first."""
    reads = AccessLogEntry.objects.filter(
        user=user, child_id=case.child_id, action=AccessAction.VIEWED, what__startswith=f"case {case.pk};"
    ).order_by("at", "id")
    found = []
    for read in reads:
        match = re.search(r"notes \[([0-9,]*)\]", read.what)
        assert match, read.what
        found.append([int(pk) for pk in match.group(1).split(",") if pk])
    return found


NOWHERE = {"notes": False, "search": False, "chronology": False, "case_page": False}
EVERYWHERE = {"notes": True, "search": True, "chronology": True, "case_page": True}


# Restricted notes -------------------------------------------------------------------------------------------------


def test_a_health_note_is_hidden_from_the_police_officer_until_it_is_shared_with_them(
    crew: dict[str, User], case: Case, clinical_note: CaseNote, health: Agency
) -> None:
    sighting = case_note_add(case=case, by=crew["officer"], text=SIGHTING)
    officer = crew["officer"]

    assert _sees(officer, case, clinical_note) == NOWHERE
    assert list(notes_for_case(user=officer, case=case)) == [sighting]
    assert _sees(crew["nurse"], case, clinical_note) == EVERYWHERE

    share = case_note_share(
        note=clinical_note,
        by=crew["nurse"],
        to_user=officer,
        lawful_basis=LawfulBasis.SAFEGUARDING,
        consent=ShareConsent.NOT_SOUGHT,
        reason_without_consent="Asking would alert the adult involved.",
    )

    assert _sees(officer, case, clinical_note) == EVERYWHERE
    # Shared with the officer, not with the police: the detective sergeant still does not see it.
    assert _sees(crew["ds"], case, clinical_note) == NOWHERE
    recorded = InformationShare.objects.get(pk=share.pk)
    assert recorded.child_id == case.child_id
    assert (recorded.source_type, recorded.source_id) == ("case_note", clinical_note.pk)
    assert recorded.to_user == officer and recorded.to_agency is None
    assert recorded.lawful_basis == LawfulBasis.SAFEGUARDING
    assert recorded.consent == ShareConsent.NOT_SOUGHT
    assert recorded.reason_without_consent == "Asking would alert the adult involved."
    assert recorded.decided_by == crew["nurse"] and recorded.decided_by_agency == health
    assert recorded in case_page(user=officer, case=case).shares_by_note[clinical_note.pk]


def test_the_officers_reads_of_the_case_are_logged_with_the_notes_shown(
    crew: dict[str, User], case: Case, clinical_note: CaseNote
) -> None:
    officer = crew["officer"]
    sighting = case_note_add(case=case, by=officer, text=SIGHTING)
    case_page(user=officer, case=case)
    case_note_share(
        note=clinical_note,
        by=crew["nurse"],
        to_user=officer,
        lawful_basis=LawfulBasis.SAFEGUARDING,
        consent=ShareConsent.GIVEN,
    )

    case_page(user=officer, case=case)

    before, after = _notes_logged(officer, case)
    assert before == [sighting.pk]
    assert sorted(after) == sorted([sighting.pk, clinical_note.pk])


def test_a_note_shared_with_the_police_is_seen_by_every_officer_on_the_case(
    crew: dict[str, User], case: Case, clinical_note: CaseNote, police: Agency
) -> None:
    share = case_note_share(
        note=clinical_note,
        by=crew["nurse"],
        to_agency=police,
        lawful_basis=LawfulBasis.CRIME_AND_DISORDER,
        consent=ShareConsent.GIVEN,
    )

    assert share.to_agency == police and share.to_user is None
    assert share.consent == ShareConsent.GIVEN and share.reason_without_consent == ""
    assert _sees(crew["officer"], case, clinical_note) == EVERYWHERE
    assert _sees(crew["ds"], case, clinical_note) == EVERYWHERE
    assert _sees(crew["tm"], case, clinical_note) == NOWHERE
    assert _sees(crew["practitioner"], case, clinical_note) == NOWHERE


@pytest.mark.parametrize("consent", [ShareConsent.REFUSED, ShareConsent.NOT_SOUGHT])
def test_sharing_without_consent_needs_a_reason(
    crew: dict[str, User], case: Case, clinical_note: CaseNote, consent: ShareConsent
) -> None:
    with pytest.raises(ValidationError) as refused:
        case_note_share(
            note=clinical_note,
            by=crew["nurse"],
            to_user=crew["officer"],
            lawful_basis=LawfulBasis.SAFEGUARDING,
            consent=consent,
            reason_without_consent="   ",
        )

    assert set(refused.value.message_dict) == {"reason_without_consent"}
    assert not InformationShare.objects.filter(source_type="case_note").exists()
    assert _sees(crew["officer"], case, clinical_note) == NOWHERE


@pytest.mark.parametrize("who", ["officer", "ds", "tm", "practitioner", "case_holder"])
def test_only_the_agency_that_holds_a_note_can_share_it(
    crew: dict[str, User], case: Case, clinical_note: CaseNote, police: Agency, who: str
) -> None:
    with pytest.raises(CaseRefused, match="Only the agency a note is restricted to"):
        case_note_share(
            note=clinical_note,
            by=crew[who],
            to_agency=police,
            lawful_basis=LawfulBasis.SAFEGUARDING,
            consent=ShareConsent.GIVEN,
        )

    assert not InformationShare.objects.filter(source_type="case_note").exists()
    assert _sees(crew["officer"], case, clinical_note) == NOWHERE


def test_a_note_nobody_restricted_has_nothing_to_share(crew: dict[str, User], case: Case, police: Agency) -> None:
    note = case_note_add(case=case, by=crew["nurse"], text="Met at school with the mentor.")

    with pytest.raises(CaseRefused):
        case_note_share(
            note=note, by=crew["nurse"], to_agency=police, lawful_basis=LawfulBasis.SAFEGUARDING, consent="given"
        )

    assert not InformationShare.objects.filter(source_type="case_note").exists()


def test_someone_of_the_owning_agency_who_cannot_see_the_case_cannot_share_its_note(
    crew: dict[str, User], case: Case, clinical_note: CaseNote, police: Agency, health: Agency
) -> None:
    elsewhere = UserFactory.create(
        roles=[Role.PRACTITIONER], agency=health, team=TeamFactory.create(name="Another team"), username="nurse-2"
    )
    assert not gate.can_see(elsewhere, case)

    with pytest.raises(CaseRefused):
        case_note_share(
            note=clinical_note,
            by=elsewhere,
            to_agency=police,
            lawful_basis=LawfulBasis.SAFEGUARDING,
            consent=ShareConsent.GIVEN,
        )

    assert _sees(crew["officer"], case, clinical_note) == NOWHERE


def test_the_ledger_cannot_be_changed_or_deleted_in_the_database(
    crew: dict[str, User], case: Case, clinical_note: CaseNote
) -> None:
    share = case_note_share(
        note=clinical_note,
        by=crew["nurse"],
        to_user=crew["officer"],
        lawful_basis=LawfulBasis.SAFEGUARDING,
        consent=ShareConsent.GIVEN,
    )

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        InformationShare.objects.filter(pk=share.pk).update(lawful_basis=LawfulBasis.CONSENT, consent="refused")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        share.what = "Nothing was shared"
        share.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        InformationShare.objects.filter(pk=share.pk).delete()

    kept = InformationShare.objects.get(pk=share.pk)
    assert (kept.lawful_basis, kept.consent, kept.to_user) == (
        LawfulBasis.SAFEGUARDING,
        ShareConsent.GIVEN,
        crew["officer"],
    )
    assert kept.what.startswith("Case note of")
    assert _sees(crew["officer"], case, clinical_note) == EVERYWHERE


# Who sees the case ------------------------------------------------------------------------------------------------


@pytest.fixture
def three_cases(
    crew: dict[str, User], at_stage: Callable[[str], Referral], decide: Callable[[Referral, str], Case]
) -> tuple[Case, Case, Case]:
    """Three children's cases: the case holder holds the first, is allocated to the second; another holds the third."""
    held, allocated, others = (decide(at_stage("co_allocated"), DecisionKind.RISK_ASSESSMENT_MEETING) for _ in "abc")
    case_holder_set(case=held, by=crew["tm"], based_on_version=held.version, holder=crew["case_holder"])
    allocation_add(
        case=allocated,
        by=crew["ds"],
        user=crew["case_holder"],
        role=AllocationRole.SOCIAL_WORK_LEAD,
        start_on=timezone.localdate(),
    )
    case_holder_set(case=others, by=crew["tm"], based_on_version=others.version, holder=crew["other_case_holder"])
    return held, allocated, others


def _visible(user: User) -> set[Case]:
    through_gate = set(gate.visible_to(user, Case.objects.all()))
    listed = set(cases_for_user(user=user, include_closed=True))
    assert through_gate == listed
    return through_gate


def test_a_case_holder_outside_the_team_sees_only_the_cases_they_work_on(
    crew: dict[str, User], three_cases: tuple[Case, Case, Case]
) -> None:
    held, allocated, others = three_cases

    assert _visible(crew["case_holder"]) == {held, allocated}
    assert set(cases_for_user(user=crew["case_holder"])) == {held, allocated}
    assert _visible(crew["other_case_holder"]) == {others}
    assert _visible(crew["tm"]) == {held, allocated, others}


def test_a_case_holder_loses_sight_of_the_case_when_their_allocation_ends(
    crew: dict[str, User], three_cases: tuple[Case, Case, Case]
) -> None:
    held, allocated, _ = three_cases
    (allocation,) = allocated.allocations.all()

    allocation_end(allocation=allocation, by=crew["tm"], end_on=timezone.localdate())

    assert _visible(crew["case_holder"]) == {held}
    assert not gate.can_see(crew["case_holder"], allocated)
    assert gate.can_see(crew["tm"], allocated)


@pytest.mark.parametrize("who", ["governance", "other_team_member", "teacher", "spoc", "administrator"])
def test_people_outside_the_team_with_no_part_in_a_case_see_none(
    crew: dict[str, User], three_cases: tuple[Case, Case, Case], make_user: Callable[..., User], who: str
) -> None:
    user = make_user(Role.ADMINISTRATOR, username="admin") if who == "administrator" else crew[who]

    assert _visible(user) == set()
    assert all(not gate.can_see(user, case) for case in three_cases)


def test_the_governance_group_sees_no_case_even_when_in_the_team(
    crew: dict[str, User], three_cases: tuple[Case, Case, Case], make_user: Callable[..., User]
) -> None:
    board = make_user(Role.GOVERNANCE, Role.PRACTITIONER, in_team=True, username="board-member")

    assert _visible(board) == set()
    with pytest.raises(ValidationError) as refused:
        allocation_add(
            case=three_cases[0],
            by=crew["tm"],
            user=board,
            role=AllocationRole.SOCIAL_WORK_LEAD,
            start_on=timezone.localdate(),
        )
    assert set(refused.value.message_dict) == {"user"}
    assert not Allocation.objects.filter(user=board).exists()
    assert _visible(board) == set()
