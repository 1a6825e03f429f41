"""The pursuit pages (investigations, prosecutions, disruptions and their outcomes) and the Intelligence Sharing
Meeting pack: open to every member of the team and to nobody else; a refused save keeps what was typed and changes
nothing; a page opened before someone else's change is refused (409) and shows the record as it is now; the pack,
as a page, a PDF and a CSV, names no child and holds nothing the reader may not see."""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import User
from evolve.people.models import Child
from mapping.models import (
    Disruption,
    DisruptionKind,
    DisruptionOutcome,
    Entity,
    Investigation,
    Link,
    LinkKind,
    Location,
    PersonOfConcern,
    Prosecution,
    ProsecutionOutcome,
)
from mapping.services import (
    disruption_record,
    entity_flag_for_disruption,
    investigation_open,
    prosecution_record,
)
from tests.conftest import kept_text

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
TODAY = timezone.localdate


def _date(field: str, day: date) -> dict[str, Any]:
    return {f"{field}_0": day.day, f"{field}_1": day.month, f"{field}_2": day.year}


@pytest.fixture
def pursuit(
    police_officer: User,
    detective_sergeant: User,
    open_child: Callable[..., Child],
    person: Callable[..., PersonOfConcern],
    place: Callable[..., Location],
) -> dict[str, Any]:
    ava = open_child("Ava", "Example")
    dean = person(police_officer, "Dean", "Sample")
    hotel = place(police_officer)
    opened = TODAY() - timedelta(days=30)
    investigation = investigation_open(
        by=detective_sergeant,
        reference="OP-KESTREL",
        summary="Exploitation at the Station Hotel",
        opened_on=opened,
        lead_officer=detective_sergeant,
        children=[ava],
        perpetrators=[dean],
    )
    prosecution = prosecution_record(
        by=detective_sergeant,
        perpetrator=dean,
        charges="Child abduction",
        charged_on=opened + timedelta(days=5),
        investigation=investigation,
    )
    disruption = disruption_record(
        by=police_officer, kind=DisruptionKind.CAWN, target=dean, child=ava, taken_on=opened + timedelta(days=1)
    )
    return {
        "ava": ava,
        "dean": dean,
        "hotel": hotel,
        "investigation": investigation,
        "prosecution": prosecution,
        "disruption": disruption,
    }


def _pages(pursuit: dict[str, Any]) -> list[str]:
    return [
        reverse("mapping:pursuit"),
        reverse("mapping:investigation-new"),
        reverse("mapping:investigation-detail", args=[pursuit["investigation"].public_id]),
        reverse("mapping:prosecution-new"),
        reverse("mapping:prosecution-detail", args=[pursuit["prosecution"].public_id]),
        reverse("mapping:disruption-new"),
        reverse("mapping:disruption-detail", args=[pursuit["disruption"].public_id]),
        reverse("mapping:pack"),
        reverse("mapping:pack-csv"),
    ]


@pytest.mark.parametrize("who", ["police_officer", "detective_sergeant", "social_worker", "nurse", "team_manager"])
def test_every_member_of_the_team_opens_every_pursuit_page(
    request: pytest.FixtureRequest, sign_in: SignIn, pursuit: dict[str, Any], who: str
) -> None:
    client = sign_in(request.getfixturevalue(who))
    for url in _pages(pursuit):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["governance", "outsider", "case_holder"])
def test_nobody_outside_the_team_opens_a_pursuit_page(
    request: pytest.FixtureRequest, sign_in: SignIn, pursuit: dict[str, Any], who: str
) -> None:
    client = sign_in(request.getfixturevalue(who))
    for url in [*_pages(pursuit), reverse("mapping:pack-pdf")]:
        assert client.get(url).status_code == 403, url
    posted = client.post(
        reverse("mapping:prosecution-detail", args=[pursuit["prosecution"].public_id]),
        {"outcome": "convicted", **_date("concluded_on", TODAY()), "version": 1},
    )
    assert posted.status_code == 403
    assert Prosecution.objects.get(pk=pursuit["prosecution"].pk).outcome == ProsecutionOutcome.PENDING


def test_another_teams_member_finds_none_of_this_teams_pursuit(
    sign_in: SignIn, other_team_officer: User, pursuit: dict[str, Any]
) -> None:
    client = sign_in(other_team_officer)
    for key, name in [
        ("investigation", "investigation-detail"),
        ("prosecution", "prosecution-detail"),
        ("disruption", "disruption-detail"),
    ]:
        assert client.get(reverse(f"mapping:{name}", args=[pursuit[key].public_id])).status_code == 404, name
    listed = client.get(reverse("mapping:pursuit")).content.decode()
    assert "OP-KESTREL" not in listed and "Dean Sample" not in listed
    assert "Dean Sample" not in client.get(reverse("mapping:prosecution-new")).content.decode()


def test_the_list_shows_open_investigations_prosecutions_and_disruptions(
    sign_in: SignIn, police_officer: User, pursuit: dict[str, Any]
) -> None:
    html = sign_in(police_officer).get(reverse("mapping:pursuit")).content.decode()
    assert "OP-KESTREL" in html and "Dean Sample" in html and "Child Abduction Warning Notice" in html
    for name in ("investigation-new", "prosecution-new", "disruption-new"):
        assert reverse(f"mapping:{name}") in html


def test_the_pursuit_list_costs_the_same_however_many_records(
    sign_in: SignIn,
    detective_sergeant: User,
    pursuit: dict[str, Any],
    person: Callable[..., PersonOfConcern],
    django_assert_max_num_queries: Any,
) -> None:
    client = sign_in(detective_sergeant)
    client.get(reverse("mapping:pursuit"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("mapping:pursuit"))
    for n in range(5):
        someone = person(detective_sergeant, f"More{n}", "Person")
        investigation_open(
            by=detective_sergeant,
            reference=f"OP-{n}",
            summary="More",
            opened_on=TODAY(),
            lead_officer=detective_sergeant,
            perpetrators=[someone],
        )
        prosecution_record(by=detective_sergeant, perpetrator=someone, charges="Charges", charged_on=TODAY())
        disruption_record(by=detective_sergeant, kind=DisruptionKind.SRO, target=someone, taken_on=TODAY())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("mapping:pursuit"))


# Investigations -----------------------------------------------------------------------------------------------------


def test_an_investigation_is_opened_from_the_form(
    sign_in: SignIn, detective_sergeant: User, pursuit: dict[str, Any]
) -> None:
    client = sign_in(detective_sergeant)
    form = client.get(reverse("mapping:investigation-new")).content.decode()
    assert "Ava Example" in form and "Dean Sample" in form
    response = client.post(
        reverse("mapping:investigation-new"),
        {
            "reference": "OP-HERON",
            "summary": "Taxi firm",
            **_date("opened_on", TODAY()),
            "lead_officer": detective_sergeant.pk,
            "children": [str(pursuit["ava"].public_id)],
            "perpetrators": [str(pursuit["dean"].public_id)],
            "restrict": "on",
        },
    )
    investigation = Investigation.objects.get(reference="OP-HERON")
    assert response.status_code == 302
    assert response["Location"] == reverse("mapping:investigation-detail", args=[investigation.public_id])
    assert list(investigation.children.all()) == [pursuit["ava"]]
    assert list(investigation.perpetrators.all()) == [pursuit["dean"]]
    assert investigation.restricted_to_agency_id == detective_sergeant.agency_id
    page = client.get(response["Location"]).content.decode()
    assert "Ava Example" in page and "Dean Sample" in page and "Restricted to PPU" in page


def test_an_investigation_missing_what_it_needs_keeps_what_was_typed(
    sign_in: SignIn, detective_sergeant: User, pursuit: dict[str, Any]
) -> None:
    response = sign_in(detective_sergeant).post(
        reverse("mapping:investigation-new"),
        {"reference": "OP-TYPED", "summary": "", **_date("opened_on", TODAY()), "lead_officer": detective_sergeant.pk},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html and "Say what is being investigated" in html
    assert 'value="OP-TYPED"' in html
    assert not Investigation.objects.filter(reference="OP-TYPED").exists()
    no_one = sign_in(detective_sergeant).post(
        reverse("mapping:investigation-new"),
        {
            "reference": "OP-NOBODY",
            "summary": "S",
            **_date("opened_on", TODAY()),
            "lead_officer": detective_sergeant.pk,
        },
    )
    assert no_one.status_code == 400 and "Name at least one child or one person of concern" in no_one.content.decode()


def test_an_investigation_is_closed_and_a_stale_page_is_refused(
    sign_in: SignIn, detective_sergeant: User, police_officer: User, pursuit: dict[str, Any]
) -> None:
    investigation = pursuit["investigation"]
    url = reverse("mapping:investigation-detail", args=[investigation.public_id])
    stale = sign_in(police_officer).post(url, {**_date("closed_on", TODAY()), "version": investigation.version - 1})
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.content.decode()
    assert Investigation.objects.get(pk=investigation.pk).closed_on is None

    closed = sign_in(detective_sergeant).post(url, {**_date("closed_on", TODAY()), "version": investigation.version})
    assert closed.status_code == 302
    assert Investigation.objects.get(pk=investigation.pk).closed_on == TODAY()
    page = sign_in(detective_sergeant).get(url).content.decode()
    assert "Closed" in page and 'data-testid="close-form"' not in page

    again = sign_in(police_officer).post(url, {**_date("closed_on", TODAY()), "version": investigation.version + 1})
    assert again.status_code == 409 and "already closed" in again.content.decode()


def test_closing_before_it_opened_is_refused_by_field(
    sign_in: SignIn, detective_sergeant: User, pursuit: dict[str, Any]
) -> None:
    investigation = pursuit["investigation"]
    response = sign_in(detective_sergeant).post(
        reverse("mapping:investigation-detail", args=[investigation.public_id]),
        {**_date("closed_on", date(2000, 1, 1)), "version": investigation.version},
    )
    assert response.status_code == 400 and "between its opening and today" in response.content.decode()


def test_an_investigation_shows_only_the_children_the_reader_may_see(
    sign_in: SignIn,
    detective_sergeant: User,
    nurse: User,
    police: Any,
    open_child: Callable[..., Child],
    pursuit: dict[str, Any],
) -> None:
    hidden = open_child("Hana", "Police", restricted_to_agency=police)
    investigation = pursuit["investigation"]
    investigation.children.add(hidden)
    url = reverse("mapping:investigation-detail", args=[investigation.public_id])
    assert "Hana Police" in sign_in(detective_sergeant).get(url).content.decode()
    page = sign_in(nurse).get(url).content.decode()
    assert "Ava Example" in page and "Hana" not in page


# Prosecutions -------------------------------------------------------------------------------------------------------


def test_a_prosecution_is_recorded_and_concluded(
    sign_in: SignIn, detective_sergeant: User, pursuit: dict[str, Any]
) -> None:
    client = sign_in(detective_sergeant)
    investigation = pursuit["investigation"]
    form = client.get(reverse("mapping:prosecution-new"), {"investigation": str(investigation.public_id)})
    assert f'<option value="{investigation.public_id}" selected>' in form.content.decode()
    response = client.post(
        reverse("mapping:prosecution-new"),
        {
            "perpetrator": str(pursuit["dean"].public_id),
            "investigation": str(investigation.public_id),
            "charges": "Sexual activity with a child",
            **_date("charged_on", TODAY()),
            "court": "Crown Court",
        },
    )
    assert response.status_code == 302
    prosecution = Prosecution.objects.get(charges="Sexual activity with a child")
    assert (prosecution.investigation_id, prosecution.court) == (investigation.pk, "Crown Court")

    url = reverse("mapping:prosecution-detail", args=[prosecution.public_id])
    no_outcome = client.post(url, {**_date("concluded_on", TODAY()), "version": prosecution.version})
    assert no_outcome.status_code == 400 and "Choose the outcome" in no_outcome.content.decode()
    concluded = client.post(
        url,
        {"outcome": "convicted", **_date("concluded_on", TODAY()), "notes": "Six years", "version": 1},
    )
    assert concluded.status_code == 302
    prosecution.refresh_from_db()
    assert (prosecution.outcome, prosecution.concluded_on, prosecution.outcome_notes) == (
        ProsecutionOutcome.CONVICTED,
        TODAY(),
        "Six years",
    )
    page = client.get(url).content.decode()
    assert "Convicted" in page and "Six years" in page and 'data-testid="conclude-form"' not in page


def test_concluding_over_someone_elses_conclusion_is_refused(
    sign_in: SignIn, detective_sergeant: User, police_officer: User, pursuit: dict[str, Any]
) -> None:
    prosecution = pursuit["prosecution"]
    url = reverse("mapping:prosecution-detail", args=[prosecution.public_id])
    base = {**_date("concluded_on", TODAY()), "version": prosecution.version}
    assert sign_in(detective_sergeant).post(url, {**base, "outcome": "acquitted"}).status_code == 302
    stale = sign_in(police_officer).post(url, {**base, "outcome": "convicted", "notes": "My notes"})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "Someone else changed this record" in html and "Acquitted" in html  # the record as it is now
    assert "My notes" in kept_text(html), "the form is gone: the notes come back with the refusal"
    assert Prosecution.objects.get(pk=prosecution.pk).outcome == ProsecutionOutcome.ACQUITTED


def test_a_prosecution_of_a_restricted_person_is_restricted_too(
    sign_in: SignIn,
    police_officer: User,
    nurse: User,
    person: Callable[..., PersonOfConcern],
) -> None:
    hidden = person(police_officer, "Ray", "Restricted", restricted=True)
    client = sign_in(police_officer)
    response = client.post(
        reverse("mapping:prosecution-new"),
        {"perpetrator": str(hidden.public_id), "charges": "Charges", **_date("charged_on", TODAY())},
    )
    assert response.status_code == 302
    prosecution = Prosecution.objects.get(perpetrator=hidden)
    assert prosecution.restricted_to_agency_id == police_officer.agency_id
    nurse_client = sign_in(nurse)
    assert "Ray" not in nurse_client.get(reverse("mapping:pursuit")).content.decode()
    assert "Ray" not in nurse_client.get(reverse("mapping:prosecution-new")).content.decode()
    assert nurse_client.get(reverse("mapping:prosecution-detail", args=[prosecution.public_id])).status_code == 404
    posted = nurse_client.post(
        reverse("mapping:prosecution-new"),
        {"perpetrator": str(hidden.public_id), "charges": "Charges", **_date("charged_on", TODAY())},
    )
    assert posted.status_code == 400 and Prosecution.objects.filter(perpetrator=hidden).count() == 1


# Disruptions --------------------------------------------------------------------------------------------------------


def test_a_disruption_is_recorded_with_its_kind_hints_and_a_cawn_needs_its_child(
    sign_in: SignIn, police_officer: User, pursuit: dict[str, Any]
) -> None:
    client = sign_in(police_officer)
    form = client.get(reverse("mapping:disruption-new"), {"target": str(pursuit["dean"].public_id)}).content.decode()
    assert "names the child it protects" in form and "govuk-radios__hint" in form
    assert f'<option value="{pursuit["dean"].public_id}" selected>' in form
    base = {"target": str(pursuit["dean"].public_id), **_date("taken_on", TODAY()), "details": "Served at home"}
    refused = client.post(reverse("mapping:disruption-new"), {**base, "kind": DisruptionKind.CAWN})
    assert refused.status_code == 400
    assert "Name the child the Child Abduction Warning Notice protects" in refused.content.decode()
    assert "Served at home" in refused.content.decode()
    response = client.post(
        reverse("mapping:disruption-new"), {**base, "kind": DisruptionKind.CAWN, "child": str(pursuit["ava"].public_id)}
    )
    assert response.status_code == 302
    disruption = Disruption.objects.get(details="Served at home")
    assert (disruption.child_id, disruption.target_id) == (pursuit["ava"].pk, pursuit["dean"].pk)
    page = client.get(response["Location"]).content.decode()
    assert "Ava Example" in page and "Child Abduction Warning Notice" in page

    wrong_target = client.post(
        reverse("mapping:disruption-new"),
        {**base, "kind": DisruptionKind.SRO, "target": str(pursuit["hotel"].public_id)},
    )
    assert wrong_target.status_code == 400 and "served on a person of concern" in wrong_target.content.decode()


def test_a_disruption_outcome_is_recorded_once(
    sign_in: SignIn, police_officer: User, nurse: User, pursuit: dict[str, Any]
) -> None:
    disruption = pursuit["disruption"]
    url = reverse("mapping:disruption-detail", args=[disruption.public_id])
    stale = sign_in(nurse).post(
        url, {"outcome": "breached", **_date("outcome_on", TODAY()), "version": disruption.version + 3}
    )
    assert stale.status_code == 409 and "Someone else changed this record" in stale.content.decode()
    recorded = sign_in(police_officer).post(
        url, {"outcome": "complied", **_date("outcome_on", TODAY()), "version": disruption.version}
    )
    assert recorded.status_code == 302
    disruption.refresh_from_db()
    assert (disruption.outcome, disruption.outcome_on) == (DisruptionOutcome.COMPLIED, TODAY())
    again = sign_in(nurse).post(url, {"outcome": "breached", **_date("outcome_on", TODAY()), "version": 2})
    assert again.status_code == 409 and "already recorded" in again.content.decode()


# The Intelligence Sharing Meeting pack ------------------------------------------------------------------------------


@pytest.fixture
def flagged(
    police_officer: User,
    pursuit: dict[str, Any],
    open_child: Callable[..., Child],
    person: Callable[..., PersonOfConcern],
    link: Callable[..., Link],
) -> dict[str, Any]:
    """The hotel, flagged: two children seen there, Dean (not restricted) working there, and a police-restricted man
    seen there."""
    hotel = pursuit["hotel"]
    cara = open_child("Cara", "Quillon")
    hidden = person(police_officer, "Ray", "Restricted", restricted=True)
    link(police_officer, pursuit["ava"], hotel, kind=LinkKind.SEEN_AT, first_seen_on=date(2026, 1, 5))
    link(police_officer, cara, hotel, kind=LinkKind.SEEN_AT)
    link(police_officer, pursuit["dean"], hotel, kind=LinkKind.WORKS_AT)
    link(police_officer, hidden, hotel, kind=LinkKind.SEEN_AT)
    entity_flag_for_disruption(
        entity=Entity.objects.get(pk=hotel.pk),
        by=police_officer,
        flagged=True,
        reason="Children taken there by adults",
        based_on_version=hotel.version,
    )
    return {**pursuit, "cara": cara}


def test_the_pack_page_names_no_child(sign_in: SignIn, police_officer: User, flagged: dict[str, Any]) -> None:
    html = sign_in(police_officer).get(reverse("mapping:pack")).content.decode()
    assert "Station Hotel" in html and "Children taken there by adults" in html
    assert "A child seen at Station Hotel" in html and "Dean Sample works at or runs Station Hotel" in html
    assert "Ray Restricted" in html
    for name in ("Ava", "Example", "Cara", "Quillon"):
        assert name not in html, name
    assert reverse("people:child-detail", args=[flagged["ava"].public_id]) not in html


def test_the_pack_leaves_out_what_the_reader_may_not_see(sign_in: SignIn, nurse: User, flagged: dict[str, Any]) -> None:
    client = sign_in(nurse)
    html = client.get(reverse("mapping:pack")).content.decode()
    assert "Station Hotel" in html and "Ray" not in html
    rows = list(csv.reader(io.StringIO(client.get(reverse("mapping:pack-csv")).content.decode())))
    assert len(rows) == 1 + 3 and not any("Ray" in cell for row in rows for cell in row)


def test_the_pack_csv_has_one_row_per_link(sign_in: SignIn, police_officer: User, flagged: dict[str, Any]) -> None:
    response = sign_in(police_officer).get(reverse("mapping:pack-csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="intelligence-pack-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 4
    assert {row["Entity"] for row in rows} == {"Station Hotel, 1 High Street"}
    assert {row["Flag reason"] for row in rows} == {"Children taken there by adults"}
    assert sorted(row["Other end"] for row in rows) == ["A child", "A child", "Dean Sample", "Ray Restricted"]
    ava_row = next(row for row in rows if row["First seen"] == "2026-01-05")
    assert (ava_row["Link type"], ava_row["Other end"], ava_row["Confidence"]) == ("Seen at", "A child", "Probable")
    assert ava_row["Source agency"] == "Police Public Protection Unit" and ava_row["Entity kind"] == "Location"
    assert "Ava" not in response.content.decode() and "Cara" not in response.content.decode()


def test_the_pack_pdf_holds_the_flagged_place_and_no_child(
    sign_in: SignIn, police_officer: User, flagged: dict[str, Any], tmp_path: Path
) -> None:
    response = sign_in(police_officer).get(reverse("mapping:pack-pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="intelligence-pack-')
    assert response["Cache-Control"] == "private, no-store"
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Station Hotel" in text and "OFFICIAL-SENSITIVE" in text and "Children taken there by adults" in text
    assert "A child" in text
    for name in ("Ava", "Example", "Cara"):
        assert name not in text, name


def test_an_empty_pack(sign_in: SignIn, police_officer: User) -> None:
    html = sign_in(police_officer).get(reverse("mapping:pack")).content.decode()
    assert 'data-testid="pack-empty"' in html
