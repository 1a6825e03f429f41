"""The meeting passes groups and locations to the weekly Intelligence Sharing Meeting from a child's part: the ones
linked to the child are offered, each one chosen is flagged for disruption on its mapping record in the same
transaction (with a reason that never names the child), the meeting page, the minutes and the API show them, and a
record restricted to another agency is neither offered, nor accepted, nor named to anyone outside it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evolve.accounts.models import Agency, User
from evolve.cases.models import Case, DecisionKind
from evolve.cases.services import case_holder_set
from mapping.models import Entity, EntityKind, Link, Location
from mapping.selectors import intelligence_pack
from mapping.services import MappingRefused, entity_flag_for_disruption, entity_record
from meetings import services
from meetings.minutes import minutes_build
from meetings.models import AgendaItem, Meeting
from meetings.services import MeetingRefused, attendance_add, item_record, meeting_close
from referrals.models import Referral
from tests.mapping.conftest import link, place

pytestmark = pytest.mark.django_db

__all__ = ["link", "place"]

SignIn = Callable[[User], Client]
Crew = dict[str, User]
SAID = "{name} was seen at the Station Hotel with older men; {first} says the Northside Crew drive her there."


@dataclass
class Mapped:
    meeting: Meeting
    item: AgendaItem
    hotel: Location  # linked to the child, seen by the whole team
    crew_group: Entity  # a group linked to the child
    flat: Location  # police intelligence: restricted to police, linked to the child by a police-only link
    elsewhere: Location  # the team's, but not linked to the child


@pytest.fixture
def mapped(
    ra_case: Case,
    crew: Crew,
    weekly: Callable[..., Meeting],
    police: Agency,
    place: Callable[..., Location],
    link: Callable[..., Link],
) -> Mapped:
    meeting = weekly()
    item = AgendaItem.objects.select_related("meeting").get(meeting=meeting, child=ra_case.child)
    hotel = place(crew["tm"], name="Station Hotel")
    link(crew["tm"], ra_case.child, hotel)
    group = entity_record(
        by=crew["officer"], kind=EntityKind.GROUP, details={"name": "Northside Crew"}, not_a_duplicate=True
    )
    link(crew["officer"], ra_case.child, group)
    flat = place(crew["ds"], name="Canal Flat", address="9 Wharf Road", restricted_to_agency_id=police.pk)
    link(crew["ds"], ra_case.child, flat, restricted=True)
    elsewhere = place(crew["tm"], name="Market Cafe", address="2 Market Street")
    return Mapped(meeting=meeting, item=item, hotel=hotel, crew_group=group, flat=flat, elsewhere=elsewhere)


def _url(name: str, *args: Any) -> str:
    return reverse(f"meetings:{name}", args=[str(a) for a in args])


def _record(client: Client, mapped: Mapped, **posted: Any) -> Any:
    item = AgendaItem.objects.get(pk=mapped.item.pk)
    body = {"discussion": "Discussed.", "version": item.version, **posted}
    return client.post(_url("item-action", mapped.meeting.public_id, item.public_id, "record"), body)


def _patch(client: Client, mapped: Mapped, body: dict[str, Any]) -> Any:
    url = reverse("api-meeting-item", args=[mapped.meeting.public_id, mapped.item.public_id])
    return client.patch(url, body, content_type="application/json")


def _pdf_text(pdf: Path) -> str:
    out = subprocess.run(["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def _flagged(*entities: Entity) -> list[bool]:
    return [Entity.objects.get(pk=entity.pk).flagged_for_disruption for entity in entities]


def _close(mapped: Mapped, crew: Crew, police: Agency) -> None:
    attendance_add(meeting=mapped.meeting, by=crew["tm"], agency=police, name="DS on duty")
    meeting_close(meeting=Meeting.objects.get(pk=mapped.meeting.pk), by=crew["tm"])


# The meeting page ---------------------------------------------------------------------------------------------------


def test_the_childs_groups_and_locations_are_offered_and_a_chosen_one_goes_to_the_pack_without_the_childs_name(
    sign_in: SignIn, crew: Crew, mapped: Mapped, ra_case: Case
) -> None:
    child = ra_case.child
    tm = sign_in(crew["tm"])
    page = tm.get(_url("item-detail", mapped.meeting.public_id, mapped.item.public_id)).content.decode()
    assert "Flag for the Intelligence Sharing Meeting" in page
    assert str(mapped.hotel.public_id) in page and str(mapped.crew_group.public_id) in page
    assert "Canal Flat" not in page and str(mapped.flat.public_id) not in page, "police intelligence"
    assert str(mapped.elsewhere.public_id) not in page, "only those linked to the child"
    assert reverse("mapping:record-new", args=["location"]) in page
    assert reverse("mapping:record-new", args=["group"]) in page

    said = SAID.format(name=child.full_name, first=child.first_name.upper())
    response = _record(tm, mapped, mapping_items=said, flag_for_disruption=[str(mapped.hotel.public_id)])
    assert response.status_code == 302

    hotel = Entity.objects.get(pk=mapped.hotel.pk)
    assert hotel.flagged_for_disruption and hotel.flagged_by == crew["tm"]
    assert hotel.flag_reason.startswith("Weekly CSE team meeting on ")
    assert "the child was seen at the Station Hotel" in hotel.flag_reason
    assert child.first_name.lower() not in hotel.flag_reason.lower()
    assert child.last_name.lower() not in hotel.flag_reason.lower()
    assert _flagged(mapped.crew_group, mapped.flat, mapped.elsewhere) == [False, False, False]
    item = AgendaItem.objects.get(pk=mapped.item.pk)
    assert list(item.flagged_for_disruption.values_list("pk", flat=True)) == [hotel.pk]
    assert item.mapping_items == said, "the meeting's own record keeps what was said"
    for reader in ("nurse", "officer", "tm"):
        pack = intelligence_pack(user=crew[reader])
        assert [entry.entity.pk for entry in pack] == [hotel.pk], reader

    page = tm.get(_url("item-detail", mapped.meeting.public_id, mapped.item.public_id)).content.decode()
    assert "Station Hotel, 1 High Street (location)" in page
    assert str(mapped.hotel.public_id) not in page, "passed already: not offered again"
    meeting_page = tm.get(_url("meeting-detail", mapped.meeting.public_id)).content.decode()
    assert "Flagged for the Intelligence Sharing Meeting: Station Hotel, 1 High Street" in meeting_page


def test_no_reason_given_says_the_record_was_raised_about_a_child(sign_in: SignIn, crew: Crew, mapped: Mapped) -> None:
    response = _record(sign_in(crew["ds"]), mapped, flag_for_disruption=[str(mapped.crew_group.public_id)])
    assert response.status_code == 302
    group = Entity.objects.get(pk=mapped.crew_group.pk)
    assert group.flagged_for_disruption and group.flag_reason.endswith(": raised about a child")


def test_a_record_already_flagged_stays_flagged_with_its_reason_and_is_kept_on_the_item(
    sign_in: SignIn, crew: Crew, mapped: Mapped
) -> None:
    entity_flag_for_disruption(
        entity=mapped.hotel, by=crew["officer"], flagged=True, reason="Licensing visit due", based_on_version=None
    )
    response = _record(
        sign_in(crew["tm"]),
        mapped,
        mapping_items="Seen at the hotel again.",
        flag_for_disruption=[str(mapped.hotel.public_id), str(mapped.crew_group.public_id)],
    )
    assert response.status_code == 302
    hotel = Entity.objects.get(pk=mapped.hotel.pk)
    assert (hotel.flagged_for_disruption, hotel.flag_reason, hotel.flagged_by) == (
        True,
        "Licensing visit due",
        crew["officer"],
    )
    assert _flagged(mapped.crew_group) == [True]
    item = AgendaItem.objects.get(pk=mapped.item.pk)
    assert set(item.flagged_for_disruption.values_list("pk", flat=True)) == {mapped.hotel.pk, mapped.crew_group.pk}


def test_one_taken_off_the_list_since_is_offered_again_and_flagged_again(
    sign_in: SignIn, crew: Crew, mapped: Mapped
) -> None:
    entity_flag_for_disruption(
        entity=mapped.crew_group, by=crew["officer"], flagged=True, reason="Known group", based_on_version=None
    )
    tm = sign_in(crew["tm"])
    url = _url("item-detail", mapped.meeting.public_id, mapped.item.public_id)
    assert "Northside Crew (group, already flagged for disruption)" in tm.get(url).content.decode()
    assert _record(tm, mapped, flag_for_disruption=[str(mapped.hotel.public_id)]).status_code == 302
    assert str(mapped.hotel.public_id) not in tm.get(url).content.decode()
    hotel = Entity.objects.get(pk=mapped.hotel.pk)
    entity_flag_for_disruption(entity=hotel, by=crew["officer"], flagged=False, reason="", based_on_version=None)
    assert str(mapped.hotel.public_id) in tm.get(url).content.decode()
    assert _record(tm, mapped, flag_for_disruption=[str(mapped.hotel.public_id)]).status_code == 302
    assert _flagged(mapped.hotel) == [True]
    assert AgendaItem.objects.get(pk=mapped.item.pk).flagged_for_disruption.count() == 1


def test_a_record_restricted_to_another_agency_is_not_offered_and_posting_it_is_refused(
    sign_in: SignIn, crew: Crew, mapped: Mapped
) -> None:
    before = AgendaItem.objects.get(pk=mapped.item.pk)
    tm = sign_in(crew["tm"])  # children's services: the flat is police intelligence
    response = _record(
        tm,
        mapped,
        discussion="Should not be saved.",
        flag_for_disruption=[str(mapped.hotel.public_id), str(mapped.flat.public_id)],
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Should not be saved." in body and "Canal Flat" not in body
    after = AgendaItem.objects.get(pk=mapped.item.pk)
    assert (after.discussion, after.version) == (before.discussion, before.version)
    assert not after.flagged_for_disruption.exists()
    assert _flagged(mapped.hotel, mapped.flat) == [False, False]

    # Not linked to the child, so not offered on the page either.
    assert _record(tm, mapped, flag_for_disruption=[str(mapped.elsewhere.public_id)]).status_code == 400
    assert _flagged(mapped.elsewhere) == [False]

    # The police, whom it is restricted to, are offered it.
    ds = sign_in(crew["ds"])
    page = ds.get(_url("item-detail", mapped.meeting.public_id, mapped.item.public_id)).content.decode()
    assert str(mapped.flat.public_id) in page and "Canal Flat" in page


def test_a_record_the_police_flagged_is_named_only_to_those_who_may_see_it(
    sign_in: SignIn, crew: Crew, mapped: Mapped, police: Agency, settings: Any, tmp_path: Path
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    response = _record(
        sign_in(crew["ds"]),
        mapped,
        mapping_items="Flat used at weekends.",
        flag_for_disruption=[str(mapped.flat.public_id), str(mapped.hotel.public_id)],
    )
    assert response.status_code == 302
    assert _flagged(mapped.flat, mapped.hotel) == [True, True]

    ds_page = sign_in(crew["ds"]).get(_url("item-detail", mapped.meeting.public_id, mapped.item.public_id))
    assert "Canal Flat" in ds_page.content.decode()
    tm = sign_in(crew["tm"])
    for url in (
        _url("item-detail", mapped.meeting.public_id, mapped.item.public_id),
        _url("meeting-detail", mapped.meeting.public_id),
    ):
        page = tm.get(url).content.decode()
        assert "Station Hotel" in page and "Canal Flat" not in page, url
    listed = tm.get(reverse("api-meeting-item", args=[mapped.meeting.public_id, mapped.item.public_id])).json()
    assert [row["label"] for row in listed["flagged_for_disruption"]] == ["Station Hotel, 1 High Street"]

    # Re-recording by someone who cannot see it does not drop it from the item.
    assert _record(tm, mapped, discussion="Updated by the TM.").status_code == 302
    item = AgendaItem.objects.get(pk=mapped.item.pk)
    assert set(item.flagged_for_disruption.values_list("pk", flat=True)) == {mapped.flat.pk, mapped.hotel.pk}

    # The full minutes are for the whole team: they name the hotel, not the police's flat.
    _close(mapped, crew, police)
    minutes = minutes_build(meeting_id=mapped.meeting.pk)
    assert minutes is not None
    text = _pdf_text(tmp_path / minutes.storage_name)
    assert "Station Hotel, 1 High Street (location)" in text and "Canal Flat" not in text


# Closed meetings, roles, and nothing half-done ----------------------------------------------------------------------


def test_a_closed_meeting_flags_nothing(sign_in: SignIn, crew: Crew, mapped: Mapped, police: Agency) -> None:
    item_record(item=mapped.item, by=crew["tm"], based_on_version=None, discussion="Discussed.")
    _close(mapped, crew, police)
    tm = sign_in(crew["tm"])
    assert (
        _record(tm, mapped, flag_for_disruption=[str(mapped.hotel.public_id)]).status_code == 409
    )  # refused on the page: the meeting is closed
    item = AgendaItem.objects.get(pk=mapped.item.pk)
    refused = _patch(tm, mapped, {"version": item.version, "flag_for_disruption": [str(mapped.hotel.public_id)]})
    assert refused.status_code == 409
    with pytest.raises(MeetingRefused):
        item_record(
            item=item,
            by=crew["tm"],
            based_on_version=None,
            discussion="x",
            flag_for_disruption=[mapped.hotel.public_id],
        )
    assert _flagged(mapped.hotel) == [False]
    assert not AgendaItem.objects.get(pk=mapped.item.pk).flagged_for_disruption.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("nurse", 403), ("officer", 403), ("practitioner", 403), ("governance", 404), ("other_team_member", 404)],
)
def test_only_the_tm_and_ds_flag_from_the_meeting(
    sign_in: SignIn, crew: Crew, mapped: Mapped, who: str, status: int
) -> None:
    client = sign_in(crew[who])
    assert _record(client, mapped, flag_for_disruption=[str(mapped.hotel.public_id)]).status_code == status
    item = AgendaItem.objects.get(pk=mapped.item.pk)
    patched = _patch(client, mapped, {"version": item.version, "flag_for_disruption": [str(mapped.hotel.public_id)]})
    assert patched.status_code == status
    assert _flagged(mapped.hotel) == [False]
    assert not item.flagged_for_disruption.exists()
    for allowed in ("tm", "ds"):
        page = sign_in(crew[allowed]).get(_url("item-detail", mapped.meeting.public_id, mapped.item.public_id))
        assert str(mapped.hotel.public_id) in page.content.decode(), allowed


def test_the_case_holder_outside_the_team_is_shown_no_mapping_record(
    sign_in: SignIn, crew: Crew, mapped: Mapped, ra_case: Case, police: Agency, tmp_path: Path
) -> None:
    case_holder_set(case=ra_case, by=crew["tm"], based_on_version=ra_case.version, holder=crew["case_holder"])
    item_record(
        item=mapped.item,
        by=crew["tm"],
        based_on_version=None,
        discussion="Discussed.",
        flag_for_disruption=[mapped.hotel.public_id],
    )
    holder = sign_in(crew["case_holder"])
    page = holder.get(_url("item-detail", mapped.meeting.public_id, mapped.item.public_id))
    assert page.status_code == 200 and "Station Hotel" not in page.content.decode()
    _close(mapped, crew, police)
    extract = holder.get(_url("item-extract", mapped.meeting.public_id, mapped.item.public_id))
    assert extract.status_code == 200
    (tmp_path / "extract.pdf").write_bytes(extract.content)
    text = _pdf_text(tmp_path / "extract.pdf")
    assert "Discussed." in text and "Station Hotel" not in text
    # The police officer in the team, reading the same child's extract, is shown it.
    officer = sign_in(crew["officer"]).get(_url("item-extract", mapped.meeting.public_id, mapped.item.public_id))
    (tmp_path / "officer.pdf").write_bytes(officer.content)
    assert "Station Hotel, 1 High Street (location)" in _pdf_text(tmp_path / "officer.pdf")


def test_a_refusal_from_mapping_leaves_nothing_half_done(
    crew: Crew, mapped: Mapped, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    real = entity_flag_for_disruption

    def second_refused(**kwargs: Any) -> Any:
        calls.append(kwargs["entity"])
        if len(calls) == 2:
            raise MappingRefused("Not today")
        return real(**kwargs)

    monkeypatch.setattr(services, "entity_flag_for_disruption", second_refused)
    with pytest.raises(MeetingRefused, match="Not today"):
        item_record(
            item=mapped.item,
            by=crew["tm"],
            based_on_version=None,
            discussion="Should not be saved.",
            flag_for_disruption=[mapped.hotel.public_id, mapped.crew_group.public_id],
        )
    assert len(calls) == 2
    item = AgendaItem.objects.get(pk=mapped.item.pk)
    assert item.discussion == "" and not item.flagged_for_disruption.exists()
    assert _flagged(mapped.hotel, mapped.crew_group) == [False, False]


# The API ------------------------------------------------------------------------------------------------------------


def test_the_api_flags_records_and_lists_them_on_the_item(sign_in: SignIn, crew: Crew, mapped: Mapped) -> None:
    ds = sign_in(crew["ds"])
    item = AgendaItem.objects.get(pk=mapped.item.pk)
    recorded = _patch(
        ds,
        mapped,
        {
            "version": item.version,
            "discussion": "Seen at the hotel.",
            "mapping_items": "Hotel used by the group.",
            "flag_for_disruption": [str(mapped.hotel.public_id), str(mapped.flat.public_id)],
        },
    )
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["flagged_for_disruption"] == [
        {"id": str(mapped.flat.public_id), "kind": "location", "label": "Canal Flat, 9 Wharf Road"},
        {"id": str(mapped.hotel.public_id), "kind": "location", "label": "Station Hotel, 1 High Street"},
    ]
    assert _flagged(mapped.hotel, mapped.flat) == [True, True]
    assert Entity.objects.get(pk=mapped.hotel.pk).flag_reason.endswith(": Hotel used by the group.")

    tm = sign_in(crew["tm"])
    detail = tm.get(reverse("api-meeting-detail", args=[mapped.meeting.public_id])).json()
    [row] = [i for s in detail["sections"] for i in s["items"]]
    assert [r["label"] for r in row["flagged_for_disruption"]] == ["Station Hotel, 1 High Street"]

    # Leaving the field out keeps what was passed; a record the caller may not see is a 400 and changes nothing.
    item.refresh_from_db()
    kept = _patch(tm, mapped, {"version": item.version, "discussion": "Again."})
    assert kept.status_code == 200 and [r["label"] for r in kept.json()["flagged_for_disruption"]] == [
        "Station Hotel, 1 High Street"
    ]
    item.refresh_from_db()
    refused = _patch(
        tm,
        mapped,
        {"version": item.version, "discussion": "Not saved.", "flag_for_disruption": [str(mapped.flat.public_id)]},
    )
    assert refused.status_code == 400 and "flag_for_disruption" in refused.json()
    person = entity_record(
        by=crew["tm"],
        kind=EntityKind.PERSON,
        details={"first_name": "Dean", "last_name": "Sample"},
        not_a_duplicate=True,
    )
    not_a_place = _patch(tm, mapped, {"version": item.version, "flag_for_disruption": [str(person.public_id)]})
    assert not_a_place.status_code == 400 and "flag_for_disruption" in not_a_place.json()
    after = AgendaItem.objects.get(pk=mapped.item.pk)
    assert (after.discussion, after.version) == ("Again.", item.version)


def test_the_item_record_input_is_in_the_openapi_schema(sign_in: SignIn, crew: Crew) -> None:
    schema = sign_in(crew["tm"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    assert "flag_for_disruption" in components["PatchedItemRecordInput"]["properties"]
    assert "flagged_for_disruption" in components["AgendaItem"]["properties"]


# The cost of the meeting page ---------------------------------------------------------------------------------------


def test_the_meeting_page_costs_the_same_with_one_flagging_child_or_four(
    sign_in: SignIn,
    crew: Crew,
    mapped: Mapped,
    at_stage: Callable[[str], Referral],
    decide: Callable[[Referral, str], Case],
    place: Callable[..., Location],
    link: Callable[..., Link],
) -> None:
    item_record(
        item=mapped.item,
        by=crew["tm"],
        based_on_version=None,
        discussion="Discussed.",
        flag_for_disruption=[mapped.hotel.public_id],
    )
    client = sign_in(crew["tm"])

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url("meeting-detail", mapped.meeting.public_id)).status_code == 200
        return len(queries)

    one = cost()
    for number in range(3):
        case = decide(at_stage("co_allocated"), DecisionKind.RISK_ASSESSMENT_MEETING)
        item = AgendaItem.objects.create(
            meeting=mapped.meeting, child=case.child, team=mapped.meeting.team, source="added", order=9
        )
        spot = place(crew["tm"], name=f"Takeaway {number}", address=f"{number} Park Road")
        link(crew["tm"], case.child, spot)
        item_record(
            item=item,
            by=crew["tm"],
            based_on_version=None,
            discussion="Discussed.",
            flag_for_disruption=[spot.public_id],
        )
    page = client.get(_url("meeting-detail", mapped.meeting.public_id)).content.decode()
    assert all(f"Takeaway {number}" in page for number in range(3))
    assert cost() == one
