"""The mapping pages for records, links and missing episodes: every page for the team's members, refused to everyone
else; police intelligence hidden from health; the duplicate check; refused saves change nothing and keep what was
typed; stale edits answered 409 with both versions shown; a link's history; the missing-episode flag; children linked
through a common place; and a record list that costs the same whatever the number of records."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import Agency, User
from evolve.accounts.roles import Role
from evolve.people.models import Child
from evolve.people.services import child_access_grant
from mapping.models import (
    Confidence,
    Entity,
    EntityKind,
    Link,
    LinkKind,
    Location,
    MissingEpisode,
    PersonOfConcern,
)
from mapping.services import (
    EpisodeInput,
    LinkInput,
    child_entity,
    entity_flag_for_disruption,
    entity_record,
    entity_update,
    link_update,
    missing_episode_record,
)

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
MakePerson = Callable[..., PersonOfConcern]
MakePlace = Callable[..., Location]
MakeLink = Callable[..., Link]
MakeChild = Callable[..., Child]
POLICE_ONLY = "Police Public Protection Unit only"


def _text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


def _date(name: str, value: date) -> dict[str, str]:
    return {f"{name}_0": str(value.day), f"{name}_1": str(value.month), f"{name}_2": str(value.year)}


def _link_post(police: Agency, **extra: Any) -> dict[str, Any]:
    return {
        "kind": LinkKind.SEEN_AT,
        "source_agency": str(police.pk),
        "confidence": Confidence.PROBABLE,
        "evidence": "Seen at the hotel by a patrol",
        **extra,
    }


def _episode_post(started: datetime, **extra: Any) -> dict[str, Any]:
    local = timezone.localtime(started)
    return {
        **_date("started_at", local.date()),
        "started_time": local.strftime("%H:%M"),
        "return_interview_done": "no",
        **extra,
    }


@pytest.fixture
def front_door(make_user: Callable[..., User]) -> User:
    return make_user(Role.SPOC_WORKER, username="spoc")


@pytest.fixture
def scene(
    police_officer: User,
    open_child: MakeChild,
    person: MakePerson,
    place: MakePlace,
    link: MakeLink,
) -> dict[str, Any]:
    """Two children linked to a hotel; the first also exploited by a person of concern."""
    ava, bea = open_child("Ava", "Example"), open_child("Bea", "Sample")
    dean = person(police_officer)
    hotel = place(police_officer)
    return {
        "ava": ava,
        "bea": bea,
        "dean": dean,
        "hotel": hotel,
        "ava_dean": link(police_officer, ava, dean, kind=LinkKind.EXPLOITED_BY),
        "ava_hotel": link(police_officer, ava, hotel, kind=LinkKind.SEEN_AT),
        "bea_hotel": link(police_officer, bea, hotel, kind=LinkKind.SEEN_AT),
    }


def _episode(child: Child, by: User, days_ago: int = 5) -> MissingEpisode:
    return missing_episode_record(
        child=child, by=by, given=EpisodeInput(started_at=timezone.now() - timedelta(days=days_ago))
    )


def _pages(scene: dict[str, Any], episode: MissingEpisode) -> dict[str, tuple[str, str]]:
    """Every page, with something a user would notice on it."""
    ava, dean, hotel, ava_dean = scene["ava"], scene["dean"], scene["hotel"], scene["ava_dean"]
    return {
        "record-list": (reverse("mapping:record-list"), "Dean Sample"),
        "record-new": (reverse("mapping:record-new", args=["person"]), "Record a person of concern"),
        "record-detail": (reverse("mapping:record-detail", args=[dean.public_id]), "exploited by"),
        "record-edit": (reverse("mapping:record-edit", args=[dean.public_id]), "Change Dean Sample"),
        "record-flag": (reverse("mapping:record-flag", args=[hotel.public_id]), "Flag for disruption"),
        "link-new": (reverse("mapping:link-new", args=[dean.public_id]) + "?q=hotel", "Station Hotel"),
        "link-detail": (reverse("mapping:link-detail", args=[ava_dean.public_id]), "Seen together by a patrol"),
        "link-edit": (reverse("mapping:link-edit", args=[ava_dean.public_id]), "Change the link"),
        "link-withdraw": (reverse("mapping:link-withdraw", args=[ava_dean.public_id]), "Withdraw the link"),
        "child-mapping": (reverse("mapping:child-mapping", args=[ava.public_id]), "Missing episodes"),
        "child-link-new": (reverse("mapping:child-link-new", args=[ava.public_id]) + "?q=dean", "Dean Sample"),
        "linked-children": (reverse("mapping:linked-children", args=[ava.public_id]), "Bea Sample"),
        "missing-new": (reverse("mapping:missing-new", args=[ava.public_id]), "Record a missing episode"),
        "missing-edit": (reverse("mapping:missing-edit", args=[episode.public_id]), "Change a missing episode"),
    }


# Who opens the pages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["police_officer", "social_worker", "nurse", "team_manager"])
def test_every_page_opens_for_the_team(
    who: str, request: pytest.FixtureRequest, scene: dict[str, Any], police_officer: User, sign_in: SignIn
) -> None:
    user: User = request.getfixturevalue(who)
    episode = _episode(scene["ava"], police_officer)
    client = sign_in(user)
    for name, (url, shown) in _pages(scene, episode).items():
        response = client.get(url)
        assert response.status_code == 200, f"{name} answered {response.status_code}"
        assert shown in _text(response.content), f"{name} does not show {shown!r}"


@pytest.mark.parametrize("who", ["governance", "outsider", "front_door", "case_holder"])
def test_everyone_outside_the_team_is_refused_every_page(
    who: str,
    request: pytest.FixtureRequest,
    scene: dict[str, Any],
    police_officer: User,
    team_manager: User,
    sign_in: SignIn,
) -> None:
    user: User = request.getfixturevalue(who)
    if who == "case_holder":  # sees the child's record, by a grant, but is not in the team
        child_access_grant(child=scene["ava"], to=user, by=team_manager, reason="Allocated social worker")
    episode = _episode(scene["ava"], police_officer)
    client = sign_in(user)
    for name, (url, _) in _pages(scene, episode).items():
        assert client.get(url).status_code == 403, name
    posted = client.post(reverse("mapping:record-new", args=["person"]), {"first_name": "Carl", "last_name": "Test"})
    assert posted.status_code == 403
    assert not PersonOfConcern.objects.filter(first_name="Carl").exists()


def test_another_teams_member_sees_none_of_this_teams_mapping(
    scene: dict[str, Any], other_team_officer: User, sign_in: SignIn
) -> None:
    client = sign_in(other_team_officer)
    listed = client.get(reverse("mapping:record-list"))
    assert listed.status_code == 200 and "Dean Sample" not in _text(listed.content)
    assert client.get(reverse("mapping:record-detail", args=[scene["dean"].public_id])).status_code == 404
    assert client.get(reverse("mapping:link-detail", args=[scene["ava_dean"].public_id])).status_code == 404
    assert client.get(reverse("mapping:child-mapping", args=[scene["ava"].public_id])).status_code == 404


def test_an_unknown_kind_of_record_is_not_found(police_officer: User, sign_in: SignIn) -> None:
    assert sign_in(police_officer).get(reverse("mapping:record-new", args=["spaceship"])).status_code == 404


# Police intelligence ------------------------------------------------------------------------------------------------


def test_a_police_restricted_person_is_listed_and_found_for_police_and_hidden_from_health(
    police_officer: User, nurse: User, person: MakePerson, sign_in: SignIn
) -> None:
    secret = person(police_officer, "Victor", "Hidden", restricted=True)
    person(police_officer, "Open", "Record")
    client = sign_in(police_officer)
    listed = _text(client.get(reverse("mapping:record-list")).content)
    assert "Victor Hidden" in listed and POLICE_ONLY in listed
    found = _text(client.get(reverse("mapping:record-list"), {"q": "victor hiden"}).content)
    assert "Victor Hidden" in found
    assert client.get(reverse("mapping:record-detail", args=[secret.public_id])).status_code == 200

    client = sign_in(nurse)
    listed = _text(client.get(reverse("mapping:record-list")).content)
    assert "Open Record" in listed and "Victor Hidden" not in listed and POLICE_ONLY not in listed
    found = _text(client.get(reverse("mapping:record-list"), {"q": "victor hiden"}).content)
    assert "Victor Hidden" not in found and "No record you can see matches" in found
    linkable = _text(
        client.get(reverse("mapping:link-new", args=[person(nurse, "Nia", "Nurse").public_id]), {"q": "victor"}).content
    )
    assert "Victor Hidden" not in linkable
    assert client.get(reverse("mapping:record-detail", args=[secret.public_id])).status_code == 404
    assert client.get(reverse("mapping:record-edit", args=[secret.public_id])).status_code == 404


def test_a_police_officer_restricts_a_new_record_to_police(police_officer: User, sign_in: SignIn) -> None:
    client = sign_in(police_officer)
    form = _text(client.get(reverse("mapping:record-new", args=["person"])).content)
    assert "Restrict to Police Public Protection Unit (for example police intelligence)" in form
    response = client.post(
        reverse("mapping:record-new", args=["person"]),
        {"first_name": "Reg", "last_name": "Restricted", "restricted_to_agency": "on"},
    )
    assert response.status_code == 302
    recorded = PersonOfConcern.objects.get(first_name="Reg")
    assert recorded.restricted_to_agency_id == police_officer.agency_id


# Recording a record -------------------------------------------------------------------------------------------------


def test_a_possible_duplicate_is_shown_then_recorded_once_confirmed(
    police_officer: User, social_worker: User, person: MakePerson, sign_in: SignIn
) -> None:
    existing = person(police_officer, "Dean", "Sample")
    client = sign_in(social_worker)
    url = reverse("mapping:record-new", args=["person"])
    typed = {"first_name": "Deen", "last_name": "Sample", "description": "Tall, drives a silver car"}

    warned = client.post(url, typed)
    assert warned.status_code == 200
    page = _text(warned.content)
    assert "Is this already recorded?" in page and "Dean Sample" in page
    assert reverse("mapping:record-detail", args=[existing.public_id]) in warned.content.decode()
    assert "I have checked: this is not one of these" in page
    assert "Tall, drives a silver car" in warned.content.decode()
    assert PersonOfConcern.objects.count() == 1

    unticked = client.post(url, {**typed, "duplicates_shown": "yes"})
    assert unticked.status_code == 400
    assert "tick the box" in _text(unticked.content)
    assert PersonOfConcern.objects.count() == 1

    confirmed = client.post(url, {**typed, "duplicates_shown": "yes", "not_a_duplicate": "on"})
    assert confirmed.status_code == 302
    created = PersonOfConcern.objects.get(first_name="Deen")
    assert confirmed["Location"] == reverse("mapping:record-detail", args=[created.public_id])
    assert PersonOfConcern.objects.count() == 2


def test_each_kind_is_recorded_from_its_form(social_worker: User, sign_in: SignIn) -> None:
    client = sign_in(social_worker)
    posts = {
        "location": {
            "location_type": "takeaway",
            "name": "Chicken Shack",
            "address": "2 Low Road",
            "postcode": "s1 2ab",
            "latitude": "53.38",
            "longitude": "-1.47",
        },
        "vehicle": {"registration": "ab12 cde", "make": "Ford", "colour": "Silver"},
        "group": {"name": "The Low Road lot", "description": "Older men at the takeaway"},
        "online_identity": {"platform": "Snapchat", "handle": "@someone_test"},
    }
    for kind, data in posts.items():
        response = client.post(reverse("mapping:record-new", args=[kind]), data)
        assert response.status_code == 302, (kind, _text(response.content))
    assert Location.objects.get(name="Chicken Shack").postcode == "S1 2AB"
    shown = _text(client.get(reverse("mapping:record-list"), {"kind": "vehicle"}).content)
    assert "AB12 CDE" in shown and "Chicken Shack" not in shown


def test_bad_input_is_refused_with_400_and_changes_nothing(social_worker: User, sign_in: SignIn) -> None:
    client = sign_in(social_worker)
    nameless = client.post(reverse("mapping:record-new", args=["person"]), {"description": "Drives a blue van"})
    assert nameless.status_code == 400
    page = _text(nameless.content)
    assert "There is a problem" in page and "Enter a name or an alias" in page
    assert "Drives a blue van" in nameless.content.decode()

    bad_place = client.post(
        reverse("mapping:record-new", args=["location"]),
        {"location_type": "hotel", "name": "Quayside Hotel", "latitude": "north", "longitude": "-1.2"},
    )
    assert bad_place.status_code == 400
    assert "Enter the latitude as a number" in _text(bad_place.content)
    assert 'value="Quayside Hotel"' in bad_place.content.decode()
    assert not Entity.objects.exists()


# Changing a record --------------------------------------------------------------------------------------------------


def test_a_stale_edit_is_refused_with_409_showing_both_versions(
    police_officer: User, social_worker: User, person: MakePerson, sign_in: SignIn
) -> None:
    dean = person(police_officer, "Dean", "Sample")
    client = sign_in(social_worker)
    url = reverse("mapping:record-edit", args=[dean.public_id])
    assert client.get(url).status_code == 200
    entity_update(
        entity=dean,
        by=police_officer,
        details={"first_name": "Dean", "last_name": "Sample", "description": "Scar on left hand"},
        notes="",
        restricted_to_agency_id=None,
        based_on_version=dean.version,
    )
    typed = {"first_name": "Dean", "last_name": "Sample", "description": "Wears a red cap", "version": dean.version}
    response = client.post(url, typed)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this" in _text(response.content)
    assert "Scar on left hand" in html  # what it says now
    assert "Wears a red cap" in html  # what the user typed
    dean.refresh_from_db()
    assert dean.description == "Scar on left hand"

    # Having seen the other change, saving again applies theirs.
    version = re.search(r'name="version" value="(\d+)"', html)
    assert version is not None
    again = client.post(url, {**typed, "version": version.group(1)})
    assert again.status_code == 302
    dean.refresh_from_db()
    assert dean.description == "Wears a red cap"


def test_a_child_entity_page_is_the_childs_mapping(
    scene: dict[str, Any], police_officer: User, sign_in: SignIn
) -> None:
    entity = child_entity(child=scene["ava"], by=police_officer)
    response = sign_in(police_officer).get(reverse("mapping:record-detail", args=[entity.public_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("mapping:child-mapping", args=[scene["ava"].public_id])


def test_a_location_is_flagged_for_the_intelligence_sharing_meeting_and_taken_off(
    scene: dict[str, Any], social_worker: User, sign_in: SignIn
) -> None:
    hotel = scene["hotel"]
    client = sign_in(social_worker)
    url = reverse("mapping:record-flag", args=[hotel.public_id])
    no_reason = client.post(url, {"flagged": "yes", "reason": "", "version": hotel.version})
    assert no_reason.status_code == 400 and "Say why it needs disrupting" in _text(no_reason.content)
    hotel.refresh_from_db()
    assert not hotel.flagged_for_disruption

    flagged = client.post(url, {"flagged": "yes", "reason": "Children taken there at night", "version": hotel.version})
    assert flagged.status_code == 302
    hotel.refresh_from_db()
    assert hotel.flagged_for_disruption and hotel.flag_reason == "Children taken there at night"
    detail = _text(client.get(reverse("mapping:record-detail", args=[hotel.public_id])).content)
    assert "Flagged for the Intelligence Sharing Meeting" in detail and "Children taken there at night" in detail

    off = client.post(url, {"flagged": "no", "reason": "", "version": hotel.version})
    assert off.status_code == 302
    hotel.refresh_from_db()
    assert not hotel.flagged_for_disruption
    assert client.get(reverse("mapping:record-flag", args=[scene["dean"].public_id])).status_code == 404


def test_a_record_shows_its_pursuit(scene: dict[str, Any], police_officer: User, sign_in: SignIn) -> None:
    from mapping.services import disruption_record, investigation_open

    dean = scene["dean"]
    investigation_open(
        by=police_officer,
        reference="OP-TEST-1",
        summary="Exploitation at the hotel",
        opened_on=timezone.localdate(),
        lead_officer=police_officer,
        perpetrators=[dean],
    )
    disruption = disruption_record(
        by=police_officer, kind="cawn", target=dean, taken_on=timezone.localdate(), child=scene["ava"]
    )
    page = sign_in(police_officer).get(reverse("mapping:record-detail", args=[dean.public_id])).content.decode()
    assert "OP-TEST-1" in page and "Child Abduction Warning Notice" in page
    assert reverse("mapping:disruption-detail", args=[disruption.public_id]) in page


# Links --------------------------------------------------------------------------------------------------------------


def test_a_record_is_linked_to_a_child_found_by_searching(
    police: Agency, social_worker: User, open_child: MakeChild, person: MakePerson, sign_in: SignIn
) -> None:
    cara = open_child("Cara", "Linkme")
    dean = person(social_worker, "Dean", "Sample")
    client = sign_in(social_worker)
    url = reverse("mapping:link-new", args=[dean.public_id])
    found = client.get(url, {"q": "cara linkme"})
    assert found.status_code == 200 and "Cara Linkme" in _text(found.content)
    missing_evidence = client.post(
        url, _link_post(police, q="cara linkme", other=f"child:{cara.public_id}", evidence="")
    )
    assert missing_evidence.status_code == 400
    assert "Give the evidence" in _text(missing_evidence.content)
    assert 'value="cara linkme"' in missing_evidence.content.decode()
    assert not Link.objects.exists()

    recorded = client.post(
        url, _link_post(police, q="cara linkme", other=f"child:{cara.public_id}", kind=LinkKind.EXPLOITED_BY)
    )
    assert recorded.status_code == 302
    created = Link.objects.get()
    # The child is the link's first end: "Cara exploited by Dean".
    assert created.a.child_id == cara.pk and created.b_id == dean.pk
    child_page = _text(client.get(reverse("mapping:child-mapping", args=[cara.public_id])).content)
    assert "Cara Linkme exploited by Dean Sample" in child_page


def test_a_child_is_linked_to_a_place_from_the_childs_mapping(
    police: Agency, nurse: User, open_child: MakeChild, place: MakePlace, sign_in: SignIn
) -> None:
    ava = open_child()
    hotel = place(nurse)
    client = sign_in(nurse)
    url = reverse("mapping:child-link-new", args=[ava.public_id])
    response = client.post(url, _link_post(police, q="station hotel", other=f"record:{hotel.public_id}"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mapping:child-mapping", args=[ava.public_id])
    link = Link.objects.get()
    assert link.a.child_id == ava.pk and link.b_id == hotel.pk and link.kind == LinkKind.SEEN_AT


def test_a_link_keeps_its_history_when_edited(
    scene: dict[str, Any], police: Agency, social_worker: User, sign_in: SignIn
) -> None:
    link = scene["ava_dean"]
    client = sign_in(social_worker)
    response = client.post(
        reverse("mapping:link-edit", args=[link.public_id]),
        _link_post(
            police,
            kind=LinkKind.EXPLOITED_BY,
            confidence=Confidence.CONFIRMED,
            evidence="Disclosed in the return interview",
            version=link.version,
        ),
    )
    assert response.status_code == 302
    page = client.get(reverse("mapping:link-detail", args=[link.public_id]))
    text = _text(page.content)
    assert "Disclosed in the return interview" in text
    history = page.content.decode().split('data-testid="link-history"')[1]
    assert "Seen together by a patrol" in history and "Version 1" in _text(history.encode())


def test_a_stale_link_edit_is_refused_with_409_keeping_the_typed_evidence(
    scene: dict[str, Any], police: Agency, police_officer: User, social_worker: User, sign_in: SignIn
) -> None:
    link = scene["ava_dean"]
    client = sign_in(social_worker)
    link_update(
        link=link,
        by=police_officer,
        given=LinkInput(
            kind=LinkKind.EXPLOITED_BY,
            source_agency_id=police.pk,
            confidence=Confidence.CONFIRMED,
            evidence="Police saw them in his car",
        ),
        based_on_version=link.version,
    )
    response = client.post(
        reverse("mapping:link-edit", args=[link.public_id]),
        _link_post(police, kind=LinkKind.EXPLOITED_BY, evidence="School saw them together", version=1),
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Police saw them in his car" in html and "School saw them together" in html
    link.refresh_from_db()
    assert link.evidence == "Police saw them in his car"


def test_a_link_is_withdrawn_with_a_reason(scene: dict[str, Any], social_worker: User, sign_in: SignIn) -> None:
    link = scene["ava_dean"]
    client = sign_in(social_worker)
    url = reverse("mapping:link-withdraw", args=[link.public_id])
    no_reason = client.post(url, {"reason": "", "version": link.version})
    assert no_reason.status_code == 400 and "Say why the link is withdrawn" in _text(no_reason.content)
    link.refresh_from_db()
    assert link.withdrawn_at is None

    done = client.post(url, {"reason": "It was his brother", "version": link.version})
    assert done.status_code == 302
    link.refresh_from_db()
    assert link.withdrawn_at is not None and link.withdrawn_reason == "It was his brother"
    detail = _text(client.get(reverse("mapping:link-detail", args=[link.public_id])).content)
    assert "It was his brother" in detail
    record = client.get(reverse("mapping:record-detail", args=[scene["dean"].public_id])).content.decode()
    assert 'data-testid="withdrawn-links"' in record
    assert client.get(reverse("mapping:link-edit", args=[link.public_id])).status_code == 404


def test_a_link_withdrawn_while_someone_changes_it_refuses_their_change_and_gives_it_back(
    scene: dict[str, Any], police: Agency, police_officer: User, social_worker: User, sign_in: SignIn
) -> None:
    link = scene["ava_dean"]
    before = (link.evidence, link.kind, link.confidence)
    editing = sign_in(social_worker)
    assert editing.get(reverse("mapping:link-edit", args=[link.public_id])).status_code == 200
    withdrawing = sign_in(police_officer)
    withdrawn = withdrawing.post(
        reverse("mapping:link-withdraw", args=[link.public_id]), {"reason": "It was his brother", "version": 1}
    )
    assert withdrawn.status_code == 302
    response = editing.post(
        reverse("mapping:link-edit", args=[link.public_id]),
        _link_post(police, kind=LinkKind.EXPLOITED_BY, evidence="School saw them together", version=1),
    )
    assert response.status_code == 409
    text = _text(response.content)
    assert "withdrew this link while you were changing it (It was his brother)" in text
    assert "School saw them together" in text, "what they wrote is given back"
    assert "Save changes" not in text, "a withdrawn link offers no save"
    link.refresh_from_db()
    assert (link.evidence, link.kind, link.confidence) == before
    assert link.evidence != "School saw them together"


# A child's mapping --------------------------------------------------------------------------------------------------


def test_a_child_with_no_links_says_so(open_child: MakeChild, social_worker: User, sign_in: SignIn) -> None:
    child = open_child("Nell", "Nolinks")
    page = _text(sign_in(social_worker).get(reverse("mapping:child-mapping", args=[child.public_id])).content)
    assert "is not linked to any person, place" in page and "No missing episode is recorded" in page


def test_missing_episodes_are_recorded_and_the_third_flags_the_child(
    scene: dict[str, Any], social_worker: User, sign_in: SignIn
) -> None:
    ava, hotel, dean = scene["ava"], scene["hotel"], scene["dean"]
    client = sign_in(social_worker)
    url = reverse("mapping:missing-new", args=[ava.public_id])
    mapping_url = reverse("mapping:child-mapping", args=[ava.public_id])
    form = _text(client.get(url).content)
    assert "Dean Sample (person of concern)" in form  # the records linked to the child are offered

    bad = client.post(url, _episode_post(timezone.now() - timedelta(days=1), started_time="25:99"))
    assert bad.status_code == 400 and "Enter the time like 21:30" in _text(bad.content)
    assert not MissingEpisode.objects.exists()

    for days_ago in (40, 20):
        started = timezone.now() - timedelta(days=days_ago)
        assert client.post(url, _episode_post(started)).status_code == 302
    assert "Missing 2 times" not in _text(client.get(mapping_url).content)
    assert 'data-testid="missing-flag"' not in client.get(mapping_url).content.decode()

    started = timezone.now() - timedelta(days=2)
    found = started + timedelta(hours=10)
    third = client.post(
        url,
        _episode_post(
            started,
            **_date("ended_at", timezone.localtime(found).date()),
            ended_time=timezone.localtime(found).strftime("%H:%M"),
            where_found="In a room at the hotel",
            found_at=str(hotel.public_id),
            return_interview_done="yes",
            return_interview_by="Sam Worker, Children's Services",
            linked=[str(dean.public_id)],
        ),
    )
    assert third.status_code == 302, _text(third.content)
    episode = MissingEpisode.objects.get(where_found="In a room at the hotel")
    assert set(episode.linked.values_list("pk", flat=True)) == {dean.pk, hotel.pk}
    page = _text(client.get(mapping_url).content)
    assert "Missing 3 times in the last 90 days" in page
    assert "Station Hotel" in page and "Sam Worker" in page


def test_a_stale_missing_episode_edit_is_refused_with_409(
    scene: dict[str, Any], police_officer: User, social_worker: User, sign_in: SignIn
) -> None:
    episode = _episode(scene["ava"], police_officer, days_ago=3)
    client = sign_in(social_worker)
    url = reverse("mapping:missing-edit", args=[episode.public_id])
    assert client.get(url).status_code == 200
    from mapping.services import missing_episode_update

    missing_episode_update(
        episode=episode,
        by=police_officer,
        given=EpisodeInput(started_at=episode.started_at, notes="Found by police at the station"),
        based_on_version=episode.version,
    )
    response = client.post(url, _episode_post(episode.started_at, notes="Came home by herself", version=1))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Found by police at the station" in html and "Came home by herself" in html
    episode.refresh_from_db()
    assert episode.notes == "Found by police at the station"


def test_a_nurse_changing_an_episode_keeps_the_police_only_place_she_cannot_see(
    open_child: MakeChild, police_officer: User, nurse: User, place: MakePlace, sign_in: SignIn
) -> None:
    ava = open_child()
    secret = place(police_officer, name="Secret Flat", restricted_to_agency_id=police_officer.agency_id)
    started = timezone.now() - timedelta(days=3)
    episode = missing_episode_record(
        child=ava,
        by=police_officer,
        given=EpisodeInput(started_at=started, ended_at=started + timedelta(hours=5), found_at=secret),
    )
    client = sign_in(nurse)
    page = client.get(reverse("mapping:child-mapping", args=[ava.public_id])).content.decode()
    assert "Secret Flat" not in page
    found = timezone.localtime(started + timedelta(hours=5))
    response = client.post(
        reverse("mapping:missing-edit", args=[episode.public_id]),
        _episode_post(
            started,
            **_date("ended_at", found.date()),
            ended_time=found.strftime("%H:%M"),
            notes="Return interview booked",
            version=episode.version,
        ),
    )
    assert response.status_code == 302, _text(response.content)
    episode.refresh_from_db()
    assert episode.notes == "Return interview booked"
    assert episode.found_at_id == secret.pk
    assert list(episode.linked.values_list("pk", flat=True)) == [secret.pk]


def test_linked_children_shows_the_other_child_through_the_hotel(
    scene: dict[str, Any], nurse: User, sign_in: SignIn
) -> None:
    response = sign_in(nurse).get(reverse("mapping:linked-children", args=[scene["ava"].public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bea Sample" in _text(response.content) and "Station Hotel" in html
    assert reverse("people:child-detail", args=[scene["bea"].public_id]) in html
    assert reverse("mapping:record-detail", args=[scene["hotel"].public_id]) in html


def test_a_child_linked_only_through_a_police_only_person_is_not_shown_to_health(
    open_child: MakeChild, police_officer: User, nurse: User, person: MakePerson, link: MakeLink, sign_in: SignIn
) -> None:
    ava, bea = open_child("Ava", "Example"), open_child("Bea", "Hidden")
    secret = person(police_officer, "Victor", "Hidden", restricted=True)
    link(police_officer, ava, secret)
    link(police_officer, bea, secret)
    url = reverse("mapping:linked-children", args=[ava.public_id])
    assert "Bea Hidden" in _text(sign_in(police_officer).get(url).content)
    assert "Bea Hidden" not in _text(sign_in(nurse).get(url).content)


# Query counts -------------------------------------------------------------------------------------------------------


def test_the_record_list_costs_the_same_for_2_and_10_records(police_officer: User, sign_in: SignIn) -> None:
    client = sign_in(police_officer)
    url = reverse("mapping:record-list")

    def record(count: int, start: int) -> None:
        for number in range(start, start + count):
            kind = [EntityKind.PERSON, EntityKind.LOCATION, EntityKind.VEHICLE][number % 3]
            details: dict[str, Any] = {
                EntityKind.PERSON: {"first_name": f"Person{number}", "last_name": "Test"},
                EntityKind.LOCATION: {"location_type": "hotel", "name": f"Hotel {number}"},
                EntityKind.VEHICLE: {"registration": f"AB{number:02d} CDE"},
            }[kind]
            entity_record(
                by=police_officer,
                kind=kind,
                details=details,
                restricted_to_agency_id=police_officer.agency_id if number % 2 else None,
                not_a_duplicate=True,
            )
        entity = Entity.objects.filter(kind=EntityKind.LOCATION).first()
        if entity is not None and not entity.flagged_for_disruption:
            entity_flag_for_disruption(
                entity=entity, by=police_officer, flagged=True, reason="Test", based_on_version=None
            )

    def queries() -> int:
        client.get(url)  # the session and the user, once
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    record(2, 0)
    few = queries()
    record(8, 2)
    many = queries()
    assert few == many
