"""The governance group sees the monthly reports and nothing about any child (issue 7, "Governance access").

A governance user, signed in past both factors, asks for every page and API endpoint in the project with real ids
(every child, case, referral, mapping record, investigation... of a month's work): each is refused (403, 404, or 405
for what only takes a POST) or is a page that names no child, and nothing they did is in a child's access log. The
reports list, a report, its PDF and its CSV are theirs to read, and each download is logged as a download."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.apps import apps
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from evolve.accounts.models import User
from evolve.audit.models import AccessLogEntry
from evolve.cases.models import Case
from referrals.models import Referral
from reporting.models import MonthlyReport, ReportDownload
from reporting.services import report_build, report_request
from tests.reporting.conftest import MonthOfWork

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
CHILD_NAMES = ("Testchild", "Maisie", "Fenwick")  # month_of_work's children, and the name its referral forms carry
PUBLIC_URL_NAMES = {
    "accounts:login",
    "accounts:signed-out",
    "accounts:password-reset",
    "accounts:password-reset-sent",
    "accounts:password-reset-confirm",
    "ui:accessibility",
    "healthz",
}
PLACEHOLDER = "00000000-0000-0000-0000-000000000001"
# The argument shapes of tests/ui/test_security.py: every URL in the project reverses with one of them.
ARGUMENTS: list[list[object]] = [
    [],
    [PLACEHOLDER],
    ["spoc"],
    [PLACEHOLDER, PLACEHOLDER],
    [PLACEHOLDER, "screen"],
    [PLACEHOLDER, 1, "pause"],
    [PLACEHOLDER, PLACEHOLDER, "record"],
]
STAGES = ("spoc", "triage", "mash", "consent")
REFUSED = (403, 404, 405)


def _url_names(resolver: URLResolver, namespace: str = "") -> list[str]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names.extend(_url_names(pattern, inner))
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


def _real_ids() -> list[str]:
    """One public id of every kind of record there is (a child, a case, a referral, a mapping record...)."""
    ids = []
    for model in apps.get_models():
        if any(field.name == "public_id" for field in model._meta.get_fields()):
            first = model._default_manager.order_by("pk").values_list("public_id", flat=True).first()
            if first is not None:
                ids.append(str(first))
    return ids


def _urls(name: str, ids: list[str]) -> list[str]:
    """Every URL of `name` with each real id in place of each id it takes."""
    for shape in ARGUMENTS:
        try:
            reverse(name, args=shape)
        except NoReverseMatch:
            continue
        if PLACEHOLDER not in shape:
            if shape == ["spoc"]:
                return [reverse(name, args=[stage]) for stage in STAGES]
            return [reverse(name, args=shape)]
        return [reverse(name, args=[some if arg == PLACEHOLDER else arg for arg in shape]) for some in ids]
    raise AssertionError(f"could not build a URL for {name}")


@pytest.fixture
def report(month_of_work: MonthOfWork) -> MonthlyReport:
    build = report_request(team_id=month_of_work.team.pk, year=2025, month=3, by=None)
    return report_build(build_id=build.pk)


def test_governance_reaches_no_childs_record_anywhere(
    month_of_work: MonthOfWork, report: MonthlyReport, sign_in: SignIn
) -> None:
    governance = month_of_work.crew["governance"]
    client = sign_in(governance)
    ids = _real_ids()
    assert str(month_of_work.children["A"].public_id) in ids and str(report.build.public_id) in ids
    assert len(ids) >= 10
    checked = 0
    for name in _url_names(get_resolver()):
        if name.startswith("admin:") or name in PUBLIC_URL_NAMES:
            continue
        for url in _urls(name, ids):
            response = client.get(url, follow=True)
            for hop, _status in response.redirect_chain:
                assert not hop.startswith("/accounts/login/"), f"{url} sent governance to sign in"
            if response.status_code not in REFUSED:
                # A page (200) or a question put wrongly (400, an API list that needs a filter): neither names a child.
                assert response.status_code in (200, 400), f"{url} answered {response.status_code}"
                body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
                text = body.decode("utf-8-sig", errors="replace")
                for child_name in CHILD_NAMES:
                    assert child_name not in text, f"{url} shows governance a child's name"
            checked += 1
    assert checked > 500
    assert not AccessLogEntry.objects.filter(user=governance).exists()


def test_governance_is_refused_the_childs_pages_by_name(month_of_work: MonthOfWork, sign_in: SignIn) -> None:
    child = month_of_work.children["A"]
    case = Case.objects.filter(child=child).first()
    referral = Referral.objects.filter(child=child).first()
    assert case is not None and referral is not None
    client = sign_in(month_of_work.crew["governance"])
    refused = [
        reverse("cases:case-detail", args=[case.public_id]),
        reverse("cases:child-case", args=[child.public_id]),
        reverse("people:child-detail", args=[child.public_id]),  # the child's record and chronology
        reverse("mapping:child-mapping", args=[child.public_id]),
        reverse("mapping:child-network", args=[child.public_id]),
        reverse("referrals:referral-detail", args=[referral.public_id]),
        reverse("cases:review-queue"),
        reverse("meetings:meeting-list"),
        reverse("mapping:record-list"),
        reverse("mapping:pursuit"),
        reverse("risk:child-assessments", args=[child.public_id]),
    ]
    for url in [*refused, reverse("api-child-detail", args=[child.public_id])]:
        assert client.get(url).status_code in (403, 404), url
    # Every API list: refused, or (where the list is scoped to what the user may see) empty, though there are
    # children, referrals and cases in the database.
    api_lists = [
        name
        for name in _url_names(get_resolver())
        if name.startswith("api-") and _takes_no_arguments(name) and "report" not in name
    ]
    api_lists = [name for name in api_lists if name not in ("api-schema", "api-docs", "api-risk-catalogue")]
    assert {"api-child-list", "api-referral-list", "api-case-list", "api-mapping-record-list"} <= set(api_lists)
    for name in api_lists:
        response = client.get(reverse(name))
        if response.status_code in (*REFUSED, 400):
            continue
        assert response.status_code == 200, name
        assert _empty(response.json()), f"{name} lists something to governance"


def _empty(answer: object) -> bool:
    if isinstance(answer, list):
        return answer == []
    if isinstance(answer, dict):
        if "results" in answer:
            return answer["results"] == [] and answer.get("count") in (0, None)
        return all(value in ([], {}, None, 0) for value in answer.values())
    return False


def _takes_no_arguments(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def test_governance_reads_and_downloads_the_reports_and_no_child_is_logged_as_seen(
    month_of_work: MonthOfWork, report: MonthlyReport, sign_in: SignIn
) -> None:
    governance = month_of_work.crew["governance"]
    client = sign_in(governance)
    logged_before = AccessLogEntry.objects.count()
    public_id = report.build.public_id
    listing = client.get(reverse("reporting:list"))
    assert listing.status_code == 200 and reverse("reporting:detail", args=[public_id]) in listing.content.decode()
    detail = client.get(reverse("reporting:detail", args=[public_id]))
    assert detail.status_code == 200 and "Children referred to the team" in detail.content.decode()
    pdf = client.get(reverse("reporting:pdf", args=[public_id]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    csv_file = client.get(reverse("reporting:csv", args=[public_id]))
    assert csv_file.status_code == 200 and csv_file["Content-Type"].startswith("text/csv")
    assert AccessLogEntry.objects.count() == logged_before
    downloads = ReportDownload.objects.filter(report=report, user=governance)
    assert sorted(downloads.values_list("format", flat=True)) == ["csv", "pdf"]
    assert set(downloads.values_list("agency_id", flat=True)) == {governance.agency_id}
    # The governance group reads the figures; it does not rebuild them.
    assert client.post(reverse("reporting:rebuild"), {"month": "3", "year": "2025"}).status_code == 403
