"""A subject access export (issue 8 acceptance): a manager exports everything held about one child as one PDF and one
JSON file. For a seeded child the export holds every record type, including a note restricted to another agency,
and never names another child: not the child discussed at the same meeting, not the child at the other end of a
link. Making it and downloading it are logged against the child."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dataprotection.models import SubjectAccessExport
from dataprotection.services import (
    subject_access_export_build,
    subject_access_export_failed,
    subject_access_export_request,
)
from dataprotection.tasks import subject_access_exports_sweep_task
from evolve.accounts.models import User
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.people.services import child_access_grant
from evolve.uploads.storage import private_storage
from tests.dataprotection.conftest import (
    DISCUSSION,
    EPISODE_NOTES,
    OPEN_NOTE,
    OTHER_NAMES,
    OWN_AMENDMENT,
    RESTRICTED_NOTE,
    Seeded,
)

# The export is built by a Celery task once the request commits: here the task runs in the test's process.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

SignIn = Callable[[User], Client]
RECORD_TYPES = {
    "export",
    "child",
    "referrals",
    "decisions",
    "cases",
    "risk_assessments",
    "meetings",
    "mapping",
    "chronology",
    "information_sharing",
    "access_log",
    "data_protection",
}


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "export.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["/usr/bin/pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return " ".join(out.split())


@pytest.fixture
def made(django_capture_on_commit_callbacks: Any) -> Callable[..., SubjectAccessExport]:
    """Ask for an export on the page as the manager signed in to `client`; it is built when the request commits."""

    def make(client: Client, seeded: Seeded, reference: str = "SAR-2031-17") -> SubjectAccessExport:
        url = reverse("dataprotection:export", args=[seeded.child.public_id])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"reference": reference})
        assert response.status_code == 302, response.content.decode()[:2000]
        export = SubjectAccessExport.objects.filter(child=seeded.child).order_by("-id").first()
        assert export is not None and export.is_built
        assert response["Location"] == reverse("dataprotection:export-detail", args=[export.public_id])
        return export

    return make


def _export_now(seeded: Seeded, by: User) -> SubjectAccessExport:
    export = subject_access_export_request(child=seeded.child, by=by)
    return subject_access_export_build(export_id=export.pk)


def _download(client: Client, export: SubjectAccessExport, format: str) -> bytes:
    response = client.get(reverse(f"dataprotection:export-{format}", args=[export.public_id]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    assert "Amelia" not in response["Content-Disposition"]  # no name in the file name
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_the_export_holds_every_record_type_and_no_other_childs_name(
    seeded: Seeded, crew: dict[str, User], sign_in: SignIn, tmp_path: Path, made: Callable[..., SubjectAccessExport]
) -> None:
    client = sign_in(crew["tm"])
    page = client.get(reverse("dataprotection:export", args=[seeded.child.public_id]))
    assert page.status_code == 200
    assert "including records restricted to one agency" in page.content.decode()
    export = made(client, seeded)

    detail = client.get(reverse("dataprotection:export-detail", args=[export.public_id])).content.decode()
    assert "SAR-2031-17" in detail
    machine_readable = _download(client, export, "json")
    pdf = _download(client, export, "pdf")
    assert hashlib.sha256(machine_readable).hexdigest() == export.json_sha256
    assert hashlib.sha256(pdf).hexdigest() == export.pdf_sha256

    content: dict[str, Any] = json.loads(machine_readable)
    assert set(content) == RECORD_TYPES
    assert content["export"]["reference"] == "SAR-2031-17"
    assert "including records restricted to one agency" in content["export"]["scope"]
    assert content["child"]["first_name"] == "Amelia" and content["child"]["last_name"] == "Ashworth"
    assert content["child"]["date_of_birth"] == "2011-06-02"
    referral = content["referrals"][0]
    assert referral["concern"].startswith("Seen getting into cars") and referral["timeline"]
    assert referral["mash_checks"][0]["summary"] == "Known car."
    review = content["decisions"][0]
    assert review["decision"]["decision"] == "Refer to the CSE Risk Assessment Meeting"
    assert {view["seat"] for view in review["views"]} == {"Team manager", "Detective sergeant"}
    case = content["cases"][0]
    notes = {note["text"]: note["restricted_to_agency"] for note in case["notes"]}
    assert notes[OPEN_NOTE] == ""
    assert notes[RESTRICTED_NOTE] == "Foundation Trust"  # restricted to health, yet the controller's export holds it
    assert content["risk_assessments"][0]["answers"]
    [meeting] = content["meetings"]
    assert meeting["discussion"] == DISCUSSION and meeting["agreed_level"] == "High"
    assert [amendment["text"] for amendment in meeting["amendments"]] == [OWN_AMENDMENT]
    ends = {(link["from"], link["to"], link["kind"]) for link in content["mapping"]["links"]}
    assert ends == {
        ("This child", "Dean Sample (person of concern)", "Exploited by"),
        ("This child", "Another child", "Associates with"),
    }
    [episode] = content["mapping"]["missing_episodes"]
    assert episode["notes"] == EPISODE_NOTES
    assert sorted(episode["people_and_places"]) == ["Another child", "Dean Sample (person of concern)"]
    assert any(entry["what"].startswith("Case note") for entry in content["chronology"])
    assert content["information_sharing"][0]["shared_with"] == "Police Public Protection Unit"
    assert any(entry["what"] == "record" for entry in content["access_log"])

    text = json.dumps(content)
    pdf_text = _pdf_text(pdf, tmp_path)
    for name in OTHER_NAMES:
        assert name not in text, f"{name} is in the JSON file"
        assert name not in pdf_text, f"{name} is in the PDF"
    for other in (seeded.agenda_child, seeded.linked_child):
        assert str(other.public_id) not in text

    for heading in (
        "The child's record",
        "Referrals",
        "The daily review and its decisions",
        "The Evolve case",
        "Risk assessments",
        "Meeting extracts",
        "Mapping and pursuit",
        "Chronology",
        "Information-sharing ledger",
        "Access log",
    ):
        assert heading in pdf_text
    for held in ("Amelia Ashworth", OPEN_NOTE, RESTRICTED_NOTE, DISCUSSION, "Dean Sample", "Another child"):
        assert " ".join(held.split()) in pdf_text, held


def test_making_and_downloading_the_export_are_logged_against_the_child(
    seeded: Seeded, crew: dict[str, User], sign_in: SignIn, made: Callable[..., SubjectAccessExport]
) -> None:
    client = sign_in(crew["ds"])
    export = made(client, seeded)
    _download(client, export, "pdf")
    _download(client, export, "json")
    exported = list(
        AccessLogEntry.objects.filter(child=seeded.child, user=crew["ds"], action=AccessAction.EXPORTED)
        .order_by("id")
        .values_list("what", flat=True)
    )
    assert exported == [
        f"Subject access export {export.pk}",
        f"Subject access export {export.pk} downloaded as PDF",
        f"Subject access export {export.pk} downloaded as JSON",
    ]
    assert export.made_by == crew["ds"] and export.counts["referrals"] == 1 and export.counts["links"] == 2
    # The export is kept privately, as made: the files on disk are the files recorded.
    storage = private_storage()
    with storage.open(export.pdf_name, "rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == export.pdf_sha256
    # A second export is another record; the first is kept.
    again = _export_now(seeded, crew["ds"])
    assert SubjectAccessExport.objects.filter(child=seeded.child).count() == 2
    assert again.pk != export.pk
    assert (export.counts["earlier_exports"], again.counts["earlier_exports"]) == (0, 1)


# Who may export: managers who can see the child. Everyone else is refused, and nothing is made or logged.
MAY = ("tm", "ds")
REFUSED_BY_ROLE = (
    "practitioner",
    "nurse",
    "officer",
    "spoc",
    "triage",
    "triage_manager",
    "mash",
    "teacher",
    "case_holder",
    "governance",
    "administrator",
)
# Managers who cannot see the child (no team sight, no grant): the same 404 as for a child that does not exist.
NOT_FOUND = ("head_of_service", "di", "csm", "other_team_manager")


@pytest.mark.parametrize("who", MAY)
def test_managers_who_can_see_the_child_may_export(
    who: str, seeded: Seeded, everyone: dict[str, User], sign_in: SignIn, made: Callable[..., SubjectAccessExport]
) -> None:
    client = sign_in(everyone[who])
    assert client.get(reverse("dataprotection:export", args=[seeded.child.public_id])).status_code == 200
    export = made(client, seeded)
    assert client.get(reverse("dataprotection:export-detail", args=[export.public_id])).status_code == 200


def test_no_one_else_may_export_or_download(seeded: Seeded, everyone: dict[str, User], sign_in: SignIn) -> None:
    """Every other role, one after the other against one export (making an export takes seconds)."""
    export = _export_now(seeded, everyone["tm"])
    before = AccessLogEntry.objects.count()
    export_url = reverse("dataprotection:export", args=[seeded.child.public_id])
    for who in REFUSED_BY_ROLE + NOT_FOUND:
        client = sign_in(everyone[who])
        expected = 404 if who in NOT_FOUND else 403
        assert client.get(export_url).status_code == expected, who
        assert client.post(export_url, {"reference": ""}).status_code == expected, who
        for name in ("export-detail", "export-pdf", "export-json"):
            response = client.get(reverse(f"dataprotection:{name}", args=[export.public_id]))
            assert response.status_code == expected, (who, name)
        retry = client.post(reverse("dataprotection:export-retry", args=[export.public_id]))
        assert retry.status_code == expected, who
    assert SubjectAccessExport.objects.count() == 1
    assert AccessLogEntry.objects.count() == before


def test_a_head_of_service_given_the_childs_record_may_export(
    seeded: Seeded, crew: dict[str, User], sign_in: SignIn, made: Callable[..., SubjectAccessExport]
) -> None:
    child_access_grant(child=seeded.child, to=crew["head_of_service"], by=crew["tm"], reason="Consent review")
    client = sign_in(crew["head_of_service"])
    export = made(client, seeded)
    assert export.made_by == crew["head_of_service"]


def test_a_reference_too_long_is_refused_with_a_message_and_nothing_is_made(
    seeded: Seeded, crew: dict[str, User], sign_in: SignIn
) -> None:
    client = sign_in(crew["tm"])
    response = client.post(reverse("dataprotection:export", args=[seeded.child.public_id]), {"reference": "x" * 101})
    assert response.status_code == 400
    assert "The reference must be 100 characters or fewer" in response.content.decode()
    assert not SubjectAccessExport.objects.exists()
    assert not AccessLogEntry.objects.filter(action=AccessAction.EXPORTED).exists()


def test_an_export_not_yet_made_says_so_and_one_that_failed_can_be_tried_again(
    seeded: Seeded, crew: dict[str, User], sign_in: SignIn, django_capture_on_commit_callbacks: Any
) -> None:
    client = sign_in(crew["tm"])
    export = subject_access_export_request(child=seeded.child, by=crew["tm"])  # the broker never got the task
    detail = reverse("dataprotection:export-detail", args=[export.public_id])
    page = client.get(detail).content.decode()
    assert "The export is being made" in page and "Try again" not in page
    assert client.get(reverse("dataprotection:export-pdf", args=[export.public_id])).status_code == 404
    subject_access_export_failed(export_id=export.pk)  # what the task records when a build fails
    page = client.get(detail).content.decode()
    assert "Making the export failed" in page and "Try again" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dataprotection:export-retry", args=[export.public_id]))
    assert response.status_code == 302
    export.refresh_from_db()
    assert export.is_built and export.failed_at is None
    page = client.get(detail).content.decode()
    assert "PDF to read" in page and "Try again" not in page


def test_the_sweep_asks_again_for_an_export_never_made(seeded: Seeded, crew: dict[str, User]) -> None:
    waiting = subject_access_export_request(child=seeded.child, by=crew["tm"])
    just_asked = subject_access_export_request(child=seeded.child, by=crew["tm"])
    SubjectAccessExport.objects.filter(pk=waiting.pk).update(made_at=timezone.now() - timedelta(minutes=11))
    assert subject_access_exports_sweep_task() == 1
    waiting.refresh_from_db()
    just_asked.refresh_from_db()
    assert waiting.is_built and not just_asked.is_built
