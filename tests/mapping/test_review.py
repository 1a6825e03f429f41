"""What a review of the mapping found, as a user or a data-protection officer would see it: police intelligence told to
a health worker by an earlier state of a link, by a refusal to record a link police already hold, or by a child's
chronology; another team's link refusing this team's; children named by the API without the access log; a link with
only a last-seen date left out of its period; pages failing on the first and last dates there are or on a NUL
character; another child dropped from a missing episode by the page; and the pack not marking police intelligence
before it goes to a wider meeting."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evolve.access.grants import child_access_grant
from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.audit.models import AccessLogEntry
from evolve.chronology.selectors import chronology_for_child
from evolve.people.models import Child
from mapping.models import (
    Confidence,
    DisruptionKind,
    Entity,
    EntityKind,
    Link,
    LinkKind,
    Location,
    MissingEpisode,
    PersonOfConcern,
    Prosecution,
)
from mapping.selectors import year_before
from mapping.services import (
    EpisodeInput,
    LinkInput,
    child_entity,
    disruption_record,
    entity_flag_for_disruption,
    link_record,
    link_update,
    missing_episode_record,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
MakeChild = Callable[..., Child]
MakePerson = Callable[..., PersonOfConcern]
MakePlace = Callable[..., Location]
MakeLink = Callable[..., Link]


def _api(name: str, *args: Any) -> str:
    return reverse(f"api-mapping-{name}", args=[str(arg) for arg in args])


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def _patch(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, body, content_type="application/json")


def _given(link: Link, **changes: Any) -> LinkInput:
    fields: dict[str, Any] = {
        "kind": link.kind,
        "source_agency_id": link.source_agency_id,
        "confidence": link.confidence,
        "evidence": link.evidence,
        "first_seen_on": link.first_seen_on,
        "last_seen_on": link.last_seen_on,
        "restricted_to_agency_id": link.restricted_to_agency_id,
    }
    return LinkInput(**{**fields, **changes})


def _logged(user: User, child: Child, what: str) -> int:
    return AccessLogEntry.objects.filter(user=user, child=child, what=what).count()


# Police intelligence told to other agencies --------------------------------------------------------------------------


def test_an_earlier_state_restricted_to_police_is_not_in_the_apis_history_of_a_link(
    sign_in: SignIn, police_officer: User, nurse: User, open_child: MakeChild, person: MakePerson, link: MakeLink
) -> None:
    """Police recorded the link for themselves, then shared it: the health worker sees the link now, and only that
    an earlier state existed, never what police recorded then (the page already said "not shown to you")."""
    shared = link(police_officer, open_child(), person(police_officer), restricted=True)
    link_update(
        link=shared,
        by=police_officer,
        given=_given(shared, evidence="Seen at the hotel by a patrol", restricted_to_agency_id=None),
        based_on_version=shared.version,
    )
    police_history = sign_in(police_officer).get(_api("link-detail", shared.public_id)).json()["revisions"]
    assert police_history[0]["evidence"] == "Seen together by a patrol" and police_history[0]["hidden"] is False

    body = sign_in(nurse).get(_api("link-detail", shared.public_id))
    assert body.status_code == 200 and body.json()["evidence"] == "Seen at the hotel by a patrol"
    [earlier] = body.json()["revisions"]
    assert earlier["hidden"] is True and earlier["version"] == 1
    for field in ("kind", "first_seen_on", "last_seen_on", "source_agency", "confidence", "evidence"):
        assert earlier[field] is None, field
    assert "Seen together by a patrol" not in body.content.decode()


def test_a_health_worker_records_a_link_police_hold_restricted_and_is_not_told_it_exists(
    sign_in: SignIn,
    police_officer: User,
    nurse: User,
    open_child: MakeChild,
    person: MakePerson,
    link: MakeLink,
) -> None:
    child, dean = open_child(), person(police_officer)
    link(police_officer, child, dean, kind=LinkKind.EXPLOITED_BY, restricted=True)
    body = {
        "a": {"child": str(child.public_id)},
        "b": {"record": str(dean.public_id)},
        "kind": "exploited_by",
        "confidence": "possible",
        "evidence": "Told by the child at a clinic",
    }
    recorded = _post(sign_in(nurse), _api("link-create"), body)
    assert recorded.status_code == 201, recorded.content
    # The other way round, on the page, is recorded too (only the nurse's own link refuses her now).
    page = sign_in(nurse).post(
        reverse("mapping:link-new", args=[dean.public_id]),
        {
            "q": "ava",
            "other": f"child:{child.public_id}",
            "kind": LinkKind.ASSOCIATES_WITH,
            "source_agency": str(nurse.agency_id),
            "confidence": Confidence.POSSIBLE,
            "evidence": "Seen together",
        },
    )
    assert page.status_code == 302
    again = _post(sign_in(nurse), _api("link-create"), body)
    assert again.status_code == 400 and "already linked" in again.content.decode()
    # Police see both, and are refused a second of their own or lifting their restriction onto the nurse's.
    police = sign_in(police_officer)
    links = police.get(_api("record-links", dean.public_id)).json()
    assert links["count"] == 3
    restricted = Link.objects.get(restricted_to_agency__isnull=False)
    lifted = _patch(police, _api("link-detail", restricted.public_id), {"version": 1, "restricted": False})
    assert lifted.status_code == 400 and "already linked" in lifted.content.decode()


def test_another_teams_link_between_the_same_children_does_not_refuse_this_teams(
    sign_in: SignIn, police_officer: User, other_team_officer: User, open_child: MakeChild, link: MakeLink
) -> None:
    """Two children open to this team, granted to an officer of another team: each team maps them for itself."""
    ava, bea = open_child("Ava", "Example"), open_child("Bea", "Sample")
    link(police_officer, ava, bea)
    for child in (ava, bea):
        child_access_grant(child=child, user=other_team_officer)
    response = _post(
        sign_in(other_team_officer),
        _api("link-create"),
        {
            "a": {"child": str(ava.public_id)},
            "b": {"child": str(bea.public_id)},
            "kind": "associates_with",
            "confidence": "possible",
            "evidence": "Seen together in town",
        },
    )
    assert response.status_code == 201, response.content
    assert Link.objects.filter(kind=LinkKind.ASSOCIATES_WITH).count() == 2


def test_a_link_to_a_child_restricted_to_police_is_filed_for_police_in_the_other_childs_chronology(
    police_officer: User, nurse: User, police: Agency, open_child: MakeChild, link: MakeLink
) -> None:
    ava = open_child("Ava", "Example")
    bea = open_child("Bea", "Sample", restricted_to_agency=police)
    link(police_officer, ava, bea)
    assert not [entry for entry in chronology_for_child(child_id=ava.pk, viewer=nurse) if entry.kind == "mapping_link"]
    police_entries = chronology_for_child(child_id=ava.pk, viewer=police_officer)
    assert [entry.summary for entry in police_entries if entry.kind == "mapping_link"] == [
        "Mapping: linked (associates with a child)"
    ]


# Children named by the API are logged -------------------------------------------------------------------------------


def test_the_api_logs_the_child_whose_missing_episodes_it_lists_and_a_child_missing_with_them(
    sign_in: SignIn, police_officer: User, open_child: MakeChild
) -> None:
    ava, bea = open_child("Ava", "Example"), open_child("Bea", "Sample")
    episode = missing_episode_record(
        child=ava,
        by=police_officer,
        given=EpisodeInput(
            started_at=timezone.now() - timedelta(hours=5), linked=[child_entity(child=bea, by=police_officer)]
        ),
    )
    client = sign_in(police_officer)
    listed = client.get(_api("missing-episode-list", ava.public_id)).json()["results"]
    assert [item["label"] for item in listed[0]["linked"]] == ["Bea Sample"]
    assert _logged(police_officer, ava, "missing episodes (API)") == 1
    assert _logged(police_officer, bea, "missing episodes (API)") == 1
    client.get(_api("missing-episode-detail", episode.public_id))
    assert _logged(police_officer, bea, "missing episode (API)") == 1


def test_the_api_logs_the_child_a_warning_notice_names(
    sign_in: SignIn, police_officer: User, open_child: MakeChild, person: MakePerson
) -> None:
    ava = open_child("Ava", "Example")
    notice = disruption_record(
        by=police_officer,
        kind=DisruptionKind.CAWN,
        target=person(police_officer),
        child=ava,
        taken_on=timezone.localdate(),
    )
    client = sign_in(police_officer)
    assert client.get(_api("disruption-list")).json()["results"][0]["child"]["name"] == "Ava Example"
    assert _logged(police_officer, ava, "disruptions (API)") == 1
    assert client.get(_api("disruption-detail", notice.public_id)).json()["child"]["name"] == "Ava Example"
    assert _logged(police_officer, ava, "disruption (API)") == 1


# Periods -------------------------------------------------------------------------------------------------------------


def test_a_link_known_only_by_when_last_seen_counts_in_that_period(
    sign_in: SignIn, police_officer: User, open_child: MakeChild, place: MakePlace, link: MakeLink
) -> None:
    """Recorded today: Ava was last seen at the hotel 400 days ago (when first seen is not known). A map of the
    period around then shows the hotel with her; the network filtered to that period reaches it."""
    ava, hotel = open_child(), place(police_officer)
    seen = timezone.localdate() - timedelta(days=400)
    link(police_officer, ava, hotel, kind=LinkKind.SEEN_AT, last_seen_on=seen)
    period = {"since": (seen - timedelta(days=30)).isoformat(), "until": (seen + timedelta(days=30)).isoformat()}
    client = sign_in(police_officer)
    spots = client.get(_api("hotspots"), period).json()["hotspots"]
    assert [(spot["id"], spot["children"]) for spot in spots] == [(str(hotel.public_id), 1)]
    page = client.get(reverse("mapping:hotspots"), period).content.decode()
    assert 'data-testid="hotspot-row"' in page
    network = client.get(_api("child-network", ava.public_id), period).json()
    assert str(hotel.public_id) in {node["id"] for node in network["nodes"]}
    # Before it was last seen the link was not known to have started: a period that ends earlier leaves it out.
    before = {"since": (seen - timedelta(days=90)).isoformat(), "until": (seen - timedelta(days=1)).isoformat()}
    assert client.get(_api("hotspots"), before).json()["hotspots"] == []


def test_a_year_before_is_the_same_day_or_the_28th_or_the_first_day_there_is() -> None:
    assert year_before(date(2025, 3, 31)) == date(2024, 3, 31)
    assert year_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert year_before(date(1, 6, 1)) == date.min


# Bad input is refused, never a 500 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"until": "9999-12-31"},
        {"since": "9999-12-31", "until": "9999-12-31"},
        {"until": "0001-01-01"},
        {"since": "0001-01-01", "until": "0001-03-01"},
    ],
)
def test_the_hotspots_take_the_first_and_last_dates_there_are(
    sign_in: SignIn, police_officer: User, query: dict[str, str]
) -> None:
    client = sign_in(police_officer)
    assert client.get(reverse("mapping:hotspots"), query).status_code == 200
    assert client.get(_api("hotspots"), query).status_code == 200


def test_a_nul_character_in_a_search_is_left_out_not_a_failure(
    sign_in: SignIn, police_officer: User, open_child: MakeChild, person: MakePerson
) -> None:
    child, dean = open_child("Ava", "Example"), person(police_officer)
    client = sign_in(police_officer)
    listed = client.get(reverse("mapping:record-list"), {"q": "De\x00an"})
    assert listed.status_code == 200 and "Dean Sample" in listed.content.decode()
    for url in (
        reverse("mapping:link-new", args=[dean.public_id]),
        reverse("mapping:child-link-new", args=[child.public_id]),
    ):
        response = client.get(url, {"q": "\x00Ava"})
        assert response.status_code == 200, url


# Missing episodes ----------------------------------------------------------------------------------------------------


def test_changing_an_episode_on_the_page_keeps_another_child_missing_with_this_one(
    sign_in: SignIn, police_officer: User, open_child: MakeChild
) -> None:
    ava, bea = open_child("Ava", "Example"), open_child("Bea", "Sample")
    started = timezone.localtime() - timedelta(days=2)
    episode = missing_episode_record(
        child=ava,
        by=police_officer,
        given=EpisodeInput(started_at=started, linked=[child_entity(child=bea, by=police_officer)]),
    )
    response = sign_in(police_officer).post(
        reverse("mapping:missing-edit", args=[episode.public_id]),
        {
            "started_at_0": str(started.day),
            "started_at_1": str(started.month),
            "started_at_2": str(started.year),
            "started_time": started.strftime("%H:%M"),
            "return_interview_done": "no",
            "notes": "Came home by herself",
            "version": str(episode.version),
        },
    )
    assert response.status_code == 302, response.content.decode()
    episode = MissingEpisode.objects.get(pk=episode.pk)
    assert episode.notes == "Came home by herself"
    assert list(episode.linked.values_list("child_id", flat=True)) == [bea.pk]


# The Intelligence Sharing Meeting pack -------------------------------------------------------------------------------


def test_the_pack_marks_what_is_restricted_to_the_readers_agency(
    sign_in: SignIn, police_officer: User, nurse: User, open_child: MakeChild, person: MakePerson, place: MakePlace
) -> None:
    hotel = place(police_officer)
    ends = {
        "Dean Sample": person(police_officer),
        "Ray Restricted": person(police_officer, "Ray", "Restricted", restricted=True),
        "Carl Quiet": person(police_officer, "Carl", "Quiet"),
    }
    for name, someone in ends.items():
        link_record(
            by=police_officer,
            a=someone,
            b=hotel,
            given=LinkInput(
                kind=LinkKind.SEEN_AT,
                source_agency_id=police_officer.agency_id,
                confidence=Confidence.PROBABLE,
                evidence="Patrol",
                restricted_to_agency_id=police_officer.agency_id if name == "Carl Quiet" else None,
            ),
        )
    entity_flag_for_disruption(
        entity=Entity.objects.get(pk=hotel.pk), by=police_officer, flagged=True, reason="Busy", based_on_version=None
    )
    client = sign_in(police_officer)
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("mapping:pack-csv")).content.decode())))
    marked = {row["Other end"]: row["Restricted to"] for row in rows}
    agency = police_officer.agency.name  # type: ignore[union-attr]
    assert marked == {"Dean Sample": "", "Ray Restricted": agency, "Carl Quiet": agency}
    page = client.get(reverse("mapping:pack")).content.decode()
    assert page.count('data-testid="pack-restricted"') == 2
    pack = client.get(_api("intelligence-pack")).json()
    assert sorted(str(line["restricted_to_agency"]) for line in pack[0]["links"]) == ["None", "PPU", "PPU"]
    # Health see only what the whole team may see, and nothing is marked.
    health_rows = list(csv.DictReader(io.StringIO(sign_in(nurse).get(reverse("mapping:pack-csv")).content.decode())))
    assert [(row["Other end"], row["Restricted to"]) for row in health_rows] == [("Dean Sample", "")]


def test_the_pack_marks_a_place_where_a_child_restricted_to_police_was_seen(
    sign_in: SignIn, police_officer: User, police: Agency, open_child: MakeChild, place: MakePlace, link: MakeLink
) -> None:
    hotel = place(police_officer)
    link(police_officer, open_child("Bea", "Sample", restricted_to_agency=police), hotel, kind=LinkKind.SEEN_AT)
    entity_flag_for_disruption(
        entity=Entity.objects.get(pk=hotel.pk), by=police_officer, flagged=True, reason="Busy", based_on_version=None
    )
    client = sign_in(police_officer)
    [row] = list(csv.DictReader(io.StringIO(client.get(reverse("mapping:pack-csv")).content.decode())))
    assert (row["Other end"], row["Restricted to"]) == ("A child", police.name)
    assert client.get(_api("intelligence-pack")).json()[0]["links"][0]["restricted_to_agency"] == police.short_name
    assert "Bea" not in client.get(reverse("mapping:pack")).content.decode()


# Restricting ---------------------------------------------------------------------------------------------------------


def test_someone_of_no_agency_is_told_they_cannot_restrict_rather_than_saving_it_for_everyone(
    sign_in: SignIn, team: Team, person: MakePerson, police_officer: User
) -> None:
    member = UserFactory.create(roles=[Role.PRACTITIONER], agency=None, team=team, username="no-agency")
    client = sign_in(member)
    response = _post(client, _api("record-list"), {"kind": "group", "name": "The Crew", "restricted": True})
    assert response.status_code == 400 and "restricted" in response.json()
    dean = person(police_officer)
    page = client.post(
        reverse("mapping:prosecution-new"),
        {
            "perpetrator": str(dean.public_id),
            "charges": "Child abduction",
            "charged_on_0": "1",
            "charged_on_1": "2",
            "charged_on_2": "2026",
            "restrict": "on",
        },
    )
    assert page.status_code == 400 and "You belong to no agency" in page.content.decode()
    assert not Entity.objects.filter(kind=EntityKind.GROUP).exists()
    assert not Prosecution.objects.exists()


def test_the_possible_duplicates_cost_the_same_however_many_are_restricted(
    sign_in: SignIn, police_officer: User, person: MakePerson
) -> None:
    client = sign_in(police_officer)
    url = reverse("mapping:record-new", args=[EntityKind.PERSON])
    body = {"first_name": "Dean", "last_name": "Sample"}
    person(police_officer, restricted=True)

    def queries() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url, body)
        assert response.status_code == 200 and 'data-testid="duplicate-candidates"' in response.content.decode()
        return len(captured.captured_queries)

    one = queries()
    for _ in range(4):
        person(police_officer, restricted=True)
    assert queries() == one
