"""The monthly reports API: who may list and open the report versions (every role), the figures equal to the known
answers with no child named, a manager's rebuild as a new version (refusals that create nothing), a failed build
shown as failed, the list's cost, and the endpoints in the OpenAPI schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import Team, User
from evolve.accounts.roles import Role
from reporting.models import ReportBuild
from reporting.services import report_build, report_failed, report_request
from tests.factories import UserFactory
from tests.reporting.conftest import MARCH_TOTALS, MonthOfWork

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
NOBODY = "00000000-0000-0000-0000-000000000001"
LIST = "/api/reports/"
REBUILD = "/api/reports/rebuild/"


def _detail(build: ReportBuild) -> str:
    return reverse("api-reports-detail", args=[build.public_id])


def _post(client: Client, body: dict[str, Any]) -> Any:
    return client.post(REBUILD, body, content_type="application/json")


def _ids(response: Any) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


def _built(team: Team, year: int = 2025, month: int = 3) -> ReportBuild:
    """The schedule's version of a month, built for real (WeasyPrint and all)."""
    build = report_request(team_id=team.pk, year=year, month=month, by=None)
    report_build(build_id=build.pk)
    return build


@pytest.fixture
def other_team(crew: dict[str, User]) -> Team:
    team = crew["other_team_member"].team
    assert team is not None
    return team


@pytest.fixture
def everyone(crew: dict[str, User], make_user: Callable[..., User], other_team: Team) -> dict[str, User]:
    """One user of every role: the team's, the oversight's (with and without a team), the front door's and others'."""
    return {
        **crew,
        "police_practitioner": crew["officer"],
        "social_care_practitioner": crew["practitioner"],
        "health_practitioner": crew["nurse"],
        "governance_of_another_team": UserFactory.create(
            roles=[Role.GOVERNANCE], team=other_team, username="other-governance"
        ),
        "service_manager": crew["csm"],
        "administrator": make_user(Role.ADMINISTRATOR, username="admin-user"),
        "other_team_tm": UserFactory.create(roles=[Role.TEAM_MANAGER], team=other_team, username="other-tm"),
    }


# Who reads what: (sees this team's reports, sees the other team's) for each role; everyone else sees none (a 403).
READERS = {
    "tm": (True, False),
    "ds": (True, False),
    "governance": (True, True),  # no team: the whole deployment
    "head_of_service": (True, True),
    "service_manager": (True, True),
    "di": (True, True),
    "health_manager": (True, True),
    "governance_of_another_team": (False, True),
    "other_team_tm": (False, True),
}
REFUSED = [
    "police_practitioner",
    "social_care_practitioner",
    "health_practitioner",
    "other_team_member",
    "spoc",
    "triage",
    "triage_manager",
    "mash",
    "mash_police",
    "case_holder",
    "other_case_holder",
    "teacher",
    "other_teacher",
    "administrator",
]


# Reading ------------------------------------------------------------------------------------------------------------


def test_every_role_lists_and_opens_only_the_reports_it_may_read(
    sign_in: SignIn, everyone: dict[str, User], team: Team, other_team: Team
) -> None:
    ours = _built(team)
    theirs = report_request(team_id=other_team.pk, year=2025, month=3, by=None)  # waiting: not built
    for name, (sees_ours, sees_theirs) in READERS.items():
        client = sign_in(everyone[name])
        listed = client.get(LIST)
        assert listed.status_code == 200, name
        expected = {str(build.public_id) for build, seen in ((ours, sees_ours), (theirs, sees_theirs)) if seen}
        assert _ids(listed) == expected, name
        assert listed.json()["count"] == len(expected), name
        for build, seen in ((ours, sees_ours), (theirs, sees_theirs)):
            opened = client.get(_detail(build))
            assert opened.status_code == (200 if seen else 404), name
        assert client.get(reverse("api-reports-detail", args=[NOBODY])).status_code == 404, name
    for name in REFUSED:
        client = sign_in(everyone[name])
        refused = client.get(LIST)
        assert refused.status_code == 403, name
        assert "managers" in refused.json()["detail"], name
        assert client.get(_detail(ours)).status_code == 404, name
        assert client.get(_detail(theirs)).status_code == 404, name
    aliases = {"officer", "practitioner", "nurse", "csm"}  # named again above by what they are
    assert set(READERS) | set(REFUSED) | aliases == set(everyone), "every role is tried"


def test_a_stranger_is_refused(client: Client, team: Team) -> None:
    build = report_request(team_id=team.pk, year=2025, month=3, by=None)
    assert client.get(LIST).status_code == 403
    assert client.get(_detail(build)).status_code == 403
    assert _post(client, {"year": 2025, "month": 3}).status_code == 403
    assert ReportBuild.objects.count() == 1


def test_a_version_is_listed_with_its_state_and_downloads(
    sign_in: SignIn, crew: dict[str, User], team: Team, other_team: Team
) -> None:
    built = _built(team)
    asked = report_request(team_id=team.pk, year=2025, month=3, by=crew["tm"])
    client = sign_in(crew["governance"])
    rows = {row["id"]: row for row in client.get(LIST).json()["results"]}

    shown = rows[str(built.public_id)]
    report = built.report
    assert shown == {
        "id": str(built.public_id),
        "team": "Evolve",
        "month": "2025-03",
        "month_label": "March 2025",
        "version": 1,
        "requested_at": shown["requested_at"],
        "requested_by": None,  # the schedule
        "status": "built",
        "failed_at": None,
        "failure": "",
        "built_at": shown["built_at"],
        "pdf_url": f"/reports/{built.public_id}/pdf/",
        "csv_url": f"/reports/{built.public_id}/csv/",
        "pdf_size": report.pdf_size,
        "csv_size": report.csv_size,
    }
    assert shown["pdf_url"] == reverse("reporting:pdf", args=[built.public_id])
    assert shown["built_at"] is not None
    assert report.pdf_size > 1000 and report.csv_size > 100

    waiting = rows[str(asked.public_id)]
    assert (waiting["version"], waiting["status"], waiting["requested_by"]) == (2, "waiting", crew["tm"].display_name)
    assert (waiting["built_at"], waiting["pdf_url"], waiting["csv_url"], waiting["pdf_size"]) == (None,) * 4
    # Newest version first within the month.
    assert [row["version"] for row in client.get(LIST).json()["results"]] == [2, 1]


def test_a_failed_build_shows_as_failed_until_it_is_built(sign_in: SignIn, crew: dict[str, User], team: Team) -> None:
    build = report_request(team_id=team.pk, year=2025, month=3, by=None)
    report_failed(build_id=build.pk, error=RuntimeError("the disk is full"))
    client = sign_in(crew["tm"])
    shown = client.get(_detail(build)).json()
    assert (shown["status"], shown["failure"], shown["content"], shown["pdf_url"]) == (
        "failed",
        "RuntimeError",
        None,
        None,
    )
    assert shown["failed_at"] is not None
    assert client.get(LIST).json()["results"][0]["status"] == "failed"

    report_build(build_id=build.pk)  # tried again, and built
    shown = client.get(_detail(build)).json()
    assert (shown["status"], shown["failed_at"], shown["failure"]) == ("built", None, "")
    assert shown["content"]["month"] == "2025-03"


def test_the_figures_are_the_known_answers_with_no_child_named(
    sign_in: SignIn, month_of_work: MonthOfWork, team: Team
) -> None:
    build = _built(team)
    response = sign_in(month_of_work.crew["governance"]).get(_detail(build))
    assert response.status_code == 200
    shown = response.json()
    assert (shown["status"], shown["may_rebuild"]) == ("built", False)
    content = shown["content"]
    assert (content["team"], content["month"], content["month_label"]) == ("Evolve", "2025-03", "March 2025")
    measures = {measure["key"]: measure for measure in content["measures"]}
    assert {key: measure["total"] for key, measure in measures.items()} == MARCH_TOTALS
    referred = measures["1"]
    assert {row["label"]: row["count"] for row in referred["rows"]} == {"Children's Services": 1, "Hilltop School": 6}
    assert referred["section"] == "HOW_MUCH"
    assert len(referred["trend"]) == 13
    assert (referred["trend"][-1]["month"], referred["trend"][-1]["total"]) == ("2025-03", 6)
    february = referred["trend"][-2]
    assert (february["month"], february["name"], february["total"], february["denominator"]) == (
        "2025-02",
        "February 2025",
        1,  # G
        None,
    )
    assert referred["direction"]["way"] == "up"
    assert {row["key"]: row["count"] for row in measures["2"]["related"]} == {"awaiting": 2}
    rate = measures["positive_outcomes"]
    assert (rate["is_rate"], rate["numerator"], rate["denominator"]) == (True, 2, 5)
    assert [(row["key"], row["count"], row["denominator"]) for row in rate["rows"]] == [
        ("prosecutions", 1, 2),
        ("disruptions", 1, 3),
    ]
    assert {row["key"]: row["count"] for row in content["data_quality"]} == {
        "undecided_overdue": 1,
        "investigation_no_perpetrator": 1,
        "investigation_no_child": 1,
        "case_unallocated": 1,
    }
    # Counts only: no child's name or id anywhere in the response.
    text = response.content.decode()
    assert "Testchild" not in text
    for child in month_of_work.children.values():
        assert str(child.public_id) not in text
    # The team manager may build it again; the figures are the same for every reader.
    again = sign_in(month_of_work.crew["tm"]).get(_detail(build)).json()
    assert again["may_rebuild"] is True
    assert again["content"] == content


# Rebuilding ---------------------------------------------------------------------------------------------------------


def test_the_team_manager_and_detective_sergeant_build_a_month_again(
    sign_in: SignIn, crew: dict[str, User], team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    first = _built(team)
    with django_capture_on_commit_callbacks(execute=False) as asked:
        response = _post(sign_in(crew["tm"]), {"year": 2025, "month": 3})
    assert response.status_code == 201
    assert len(asked) == 1  # the build is asked for once the request commits
    shown = response.json()
    assert (shown["month"], shown["version"], shown["status"]) == ("2025-03", 2, "waiting")
    assert (shown["requested_by"], shown["content"], shown["pdf_url"], shown["may_rebuild"]) == (
        crew["tm"].display_name,
        None,
        None,
        True,
    )
    second = ReportBuild.objects.get(public_id=shown["id"])
    assert (second.team_id, second.requested_by_id) == (team.pk, crew["tm"].pk)

    response = _post(sign_in(crew["ds"]), {"year": "2025", "month": "3"})
    assert response.status_code == 201
    assert response.json()["version"] == 3
    # Every version stays; the first is still built and readable.
    listed = sign_in(crew["tm"]).get(LIST).json()["results"]
    assert [(row["version"], row["status"]) for row in listed] == [(3, "waiting"), (2, "waiting"), (1, "built")]
    assert sign_in(crew["tm"]).get(_detail(first)).json()["content"]["month"] == "2025-03"


@pytest.mark.parametrize(
    "body",
    [
        {"year": 2025, "month": 13},
        {"year": 2025, "month": 0},
        {"year": 1999, "month": 12},
        {"year": 10000, "month": 1},
        {"year": "last", "month": 3},
        {"year": 2025},
        {},
    ],
    ids=["month-13", "month-0", "before-2000", "year-10000", "not-a-number", "no-month", "empty"],
)
def test_bad_input_is_refused_and_nothing_is_asked_for(
    sign_in: SignIn, crew: dict[str, User], team: Team, body: dict[str, Any]
) -> None:
    response = _post(sign_in(crew["tm"]), body)
    assert response.status_code == 400
    assert set(response.json()) <= {"year", "month"}
    assert ReportBuild.objects.count() == 0


def test_a_month_not_yet_ended_is_refused_with_the_reason(sign_in: SignIn, crew: dict[str, User], team: Team) -> None:
    today = timezone.localdate()
    client = sign_in(crew["tm"])
    for year, month in ((today.year, today.month), (today.year + 1, 1), (9998, 12)):
        response = _post(client, {"year": year, "month": month})
        assert response.status_code == 400, (year, month)
        assert "has not ended yet" in response.json()["detail"][0]
    assert ReportBuild.objects.count() == 0


@pytest.mark.parametrize(
    "name",
    [
        "police_practitioner",
        "social_care_practitioner",
        "health_practitioner",
        "governance",
        "governance_of_another_team",
        "head_of_service",
        "service_manager",
        "di",
        "spoc",
        "mash",
        "case_holder",
        "teacher",
        "administrator",
    ],
)
def test_only_the_team_manager_and_detective_sergeant_may_rebuild(
    sign_in: SignIn, everyone: dict[str, User], team: Team, name: str
) -> None:
    client = sign_in(everyone[name])
    response = _post(client, {"year": 2025, "month": 3})
    assert response.status_code == 403
    assert "manager or detective sergeant" in response.json()["detail"]
    assert _post(client, {"year": 2025, "month": 13}).status_code == 403  # the role first: a 403 whatever the body
    assert ReportBuild.objects.count() == 0


def test_another_teams_manager_cannot_rebuild_this_team(
    sign_in: SignIn, everyone: dict[str, User], team: Team, other_team: Team
) -> None:
    ours = report_request(team_id=team.pk, year=2025, month=3, by=None)
    client = sign_in(everyone["other_team_tm"])
    # Their rebuild is always their own team's: this team's versions are untouched, and still not theirs to see.
    response = _post(client, {"year": 2025, "month": 3})
    assert response.status_code == 201
    assert (response.json()["team"], response.json()["version"]) == ("Another team", 1)
    assert list(ReportBuild.objects.filter(team=team)) == [ours]
    assert client.get(_detail(ours)).status_code == 404
    assert _ids(client.get(LIST)) == {response.json()["id"]}


# Cost and schema ----------------------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_list_costs_the_same_for_two_versions_or_twelve(sign_in: SignIn, crew: dict[str, User], team: Team) -> None:
    _built(team)
    failed = report_request(team_id=team.pk, year=2025, month=3, by=crew["tm"])
    report_failed(build_id=failed.pk, error=RuntimeError())
    client = sign_in(crew["governance"])
    two = _queries(client, LIST)
    for month in range(1, 11):  # waiting versions, by the schedule and by the managers
        report_request(team_id=team.pk, year=2024, month=month, by=(None, crew["tm"], crew["ds"])[month % 3])
    client = sign_in(crew["governance"])
    assert client.get(LIST).json()["count"] == 12
    assert _queries(client, LIST) == two
    assert {row["status"] for row in client.get(LIST).json()["results"]} == {"built", "waiting", "failed"}


def test_the_reports_endpoints_are_in_the_openapi_schema(sign_in: SignIn, crew: dict[str, User]) -> None:
    schema = sign_in(crew["tm"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    expected = {
        "/api/reports/": {"get"},
        "/api/reports/{public_id}/": {"get"},
        "/api/reports/rebuild/": {"post"},
    }
    for path, methods in expected.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
    assert {"201", "400", "403"} <= set(schema["paths"]["/api/reports/rebuild/"]["post"]["responses"])
    assert "requestBody" in schema["paths"]["/api/reports/rebuild/"]["post"]
    assert {"200", "404"} <= set(schema["paths"]["/api/reports/{public_id}/"]["get"]["responses"])
    components = schema["components"]["schemas"]
    assert components["ReportStatusEnum"]["enum"] == ["built", "waiting", "failed"]
    assert components["ReportSectionEnum"]["enum"] == ["HOW_MUCH", "HOW_WELL", "BETTER_OFF"]
    assert "measures" in components["ReportContent"]["properties"]
