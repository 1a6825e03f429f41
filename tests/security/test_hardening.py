"""Hardening (issue 8): identifiers nobody can guess, CSRF on the API's session requests, user text always escaped,
the security headers and cookies production runs with, rate limits on signing in, the API and password reset, and
attachments served only through permission-checked views with a safe type."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from evolve.accounts.models import Team, User
from evolve.accounts.roles import Role
from evolve.cases.models import AllocationRole, Case, DecisionKind
from evolve.cases.services import allocation_add, case_note_add
from evolve.clock.models import Deadline
from evolve.people.models import Child
from evolve.people.services import child_alias_add
from evolve.uploads.storage import serve_private_file
from mapping.models import EntityKind, LocationType, PersonOfConcern
from mapping.services import (
    EpisodeInput,
    LinkInput,
    child_entity,
    entity_record,
    investigation_open,
    link_record,
    missing_episode_record,
)
from meetings.models import Meeting
from meetings.services import meeting_schedule
from referrals.models import Referral, ReferralAttachment
from referrals.services import (
    MashDecision,
    TriageDecision,
    mash_check_record,
    referral_co_allocate,
    referral_draft_create,
    referral_draft_save,
    referral_log,
    referral_screen,
    referral_send_to_mash,
    referral_submit,
)
from tests.cases.conftest import crew, decide, health
from tests.conftest import signed_in
from tests.factories import ChildFactory, backup_code, totp_device
from tests.referrals.conftest import COMPLETE, at_stage, eager_celery, people

__all__ = ["at_stage", "crew", "decide", "eager_celery", "health", "people"]

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
PASSWORD = "correct-horse-battery-staple"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _patterns(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Every URL pattern: (name, the route as written, {argument: converter class name})."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        converters = getattr(pattern.pattern, "converters", {})
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            for name, path, found in _patterns(pattern, route, inner):
                yield name, path, {**{k: type(v).__name__ for k, v in converters.items()}, **found}
        elif isinstance(pattern, URLPattern):
            kinds = {key: type(value).__name__ for key, value in converters.items()}
            yield f"{namespace}{pattern.name}", route, kinds


# Opaque identifiers -------------------------------------------------------------------------------------------------

# The arguments a URL may take besides a record's UUID: each a word from a fixed list, checked by its view (an
# unknown word is a 404), never a record's id.
FIXED_WORDS = {
    "action": "the step to take (each view lists its steps)",
    "stage": "the front door's queue: spoc, triage, mash or consent",
    "verb": "what to do to a clock: pause, resume or breach",
    "kind": "the kind of mapping record: person, location, vehicle, group or online identity",
    "uidb64": "a password reset link's random key (evolve.accounts.password_reset), not a user id",
    "token": "a password reset token (HMAC), or the fixed word set-password",
}
# The one integer in a URL: the id of one of the referral's own clocks, looked up among that referral's clocks only
# (referrals.services._referral_deadline), so another referral's clock is refused (tested below). It is still a
# sequential id: giving Deadline a public_id (or using the clock's kind, one clock of each kind per referral) would
# remove it.
KNOWN_INTEGERS = {("referrals:referral-clock", "deadline_id")}


def test_no_url_takes_a_records_sequential_id() -> None:
    integers, checked = set(), 0
    for name, route, converters in _patterns():
        if name.startswith("admin:"):
            continue  # Django's admin, for administrators only, addresses users, agencies and teams by their id
        for argument, converter in converters.items():
            checked += 1
            if converter == "IntConverter":
                integers.add((name, argument))
            elif converter != "UUIDConverter":
                assert argument in FIXED_WORDS, f"{name} ({route}) takes {argument!r}: neither a UUID nor a fixed word"
    assert integers == KNOWN_INTEGERS, f"URLs taking an integer: {sorted(integers)}"
    assert checked > 100


def test_a_clock_id_from_another_referral_is_refused(
    sign_in: SignIn, people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    mine, other = at_stage("with_mash"), at_stage("with_mash")
    other_clock = Deadline.objects.get(subject_type="referral", subject_id=other.pk)
    client = sign_in(people["mash"])
    response = client.post(
        reverse("referrals:referral-clock", args=[mine.public_id, other_clock.pk, "pause"]), {"reason": "Guessing"}
    )
    assert response.status_code == 409
    assert "That clock does not belong to this referral" in response.content.decode()
    other_clock.refresh_from_db()
    assert other_clock.paused_at is None


def test_api_answers_name_records_by_uuid_never_by_database_id(sign_in: SignIn, crew: dict[str, User]) -> None:
    child = ChildFactory.create(open_to_team=crew["tm"].team, created_by=crew["tm"])
    body = sign_in(crew["tm"]).get(f"/api/children/{child.public_id}/").json()
    assert body["id"] == str(child.public_id) and "pk" not in body
    for key, value in body.items():
        if key.endswith("id") and value is not None:
            uuid.UUID(str(value))  # every id given out is a UUID


# CSRF on the API ----------------------------------------------------------------------------------------------------


def _csrf_client(user: User) -> Client:
    return signed_in(Client(enforce_csrf_checks=True), user)


def test_a_session_api_post_needs_the_csrf_token(people: dict[str, User]) -> None:
    client = _csrf_client(people["teacher"])
    refused = client.post("/api/referrals/", content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not Referral.objects.exists()
    client.get(reverse("ui:home"))  # the page sets the CSRF cookie, as a browser would have it
    token = client.cookies[django_settings.CSRF_COOKIE_NAME].value
    accepted = client.post("/api/referrals/", content_type="application/json", headers={"X-CSRFToken": token})
    assert accepted.status_code == 201
    assert Referral.objects.count() == 1


def test_a_token_api_post_needs_no_csrf_token_and_a_session_with_a_token_still_does(people: dict[str, User]) -> None:
    token = Token.objects.create(user=people["teacher"]).key
    with_token = Client(enforce_csrf_checks=True).post(
        "/api/referrals/", content_type="application/json", headers={"Authorization": f"Token {token}"}
    )
    assert with_token.status_code == 201
    # A browser's session cookie is checked first: a forged cross-site request carrying one is refused even if it
    # also names a token.
    both = _csrf_client(people["teacher"]).post(
        "/api/referrals/", content_type="application/json", headers={"Authorization": f"Token {token}"}
    )
    assert both.status_code == 403
    assert Referral.objects.count() == 1


def test_a_wrong_token_is_refused_not_treated_as_anonymous(people: dict[str, User]) -> None:
    response = Client().post(
        "/api/referrals/", content_type="application/json", headers={"Authorization": "Token not-a-real-token"}
    )
    assert response.status_code == 403 and response.json()["detail"] == "Invalid token."
    assert not Referral.objects.exists()


# User text is always escaped ----------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = (SCRIPT, "<img src=x onerror=alert(1)>")


@dataclass
class Hostile:
    """Records whose every free-text field a user could fill holds markup."""

    waiting: Referral
    case: Case
    meeting: Meeting
    person: PersonOfConcern
    users: dict[str, User]


def _refer(people: dict[str, User], team: Team, child: Child) -> Referral:
    """A MARF about `child` through the front door to the team, every free-text answer on the way hostile."""
    fields = {**COMPLETE, "child_first_name": SCRIPT, "child_last_name": IMG, "concern": f"{SCRIPT} {IMG}"}
    referral = referral_draft_create(by=people["teacher"])
    referral = referral_draft_save(
        referral=referral, by=people["teacher"], based_on_version=referral.version, fields=fields, indicator_ids=[]
    )
    referral = referral_submit(referral=referral, by=people["teacher"], based_on_version=referral.version)
    referral = referral_log(referral=referral, by=people["spoc"], based_on_version=referral.version, child=child)
    referral = referral_screen(referral=referral, by=people["triage"], based_on_version=referral.version, notes=IMG)
    referral = referral_send_to_mash(
        referral=referral,
        by=people["triage_manager"],
        based_on_version=referral.version,
        decision=TriageDecision(threshold="child_protection", rag="amber", rationale=SCRIPT),
    )
    mash_check_record(referral=referral, by=people["mash_police"], holds_information=True, summary=IMG)
    return referral_co_allocate(
        referral=referral,
        by=people["mash"],
        based_on_version=referral.version,
        decision=MashDecision(rag="red", intervention="section_47", rationale=SCRIPT, team=team),
    )


@pytest.fixture
def hostile(crew: dict[str, User], decide: Callable[[Referral, str], Case], team: Team) -> Hostile:
    tm, officer = crew["tm"], crew["officer"]
    waiting = _refer(crew, team, ChildFactory.create(first_name=SCRIPT, last_name=IMG))
    case = decide(
        _refer(crew, team, ChildFactory.create(first_name=IMG, last_name=SCRIPT)), DecisionKind.RISK_ASSESSMENT_MEETING
    )
    child = case.child
    child_alias_add(child=child, by=tm, name=SCRIPT)
    allocation_add(case=case, by=tm, user=crew["nurse"], role=AllocationRole.CSE_NURSE, start_on=date.today())
    case_note_add(case=case, by=tm, text=f"{SCRIPT} {IMG}")
    meeting = meeting_schedule(by=tm, starts_at=timezone.now() + timedelta(days=1), place=IMG)
    entity = entity_record(
        by=officer,
        kind=EntityKind.PERSON,
        details={"first_name": SCRIPT, "last_name": IMG, "description": SCRIPT},
        notes=IMG,
        not_a_duplicate=True,
    )
    person = PersonOfConcern.objects.get(pk=entity.pk)
    place = entity_record(
        by=officer,
        kind=EntityKind.LOCATION,
        details={"name": IMG, "address": SCRIPT, "location_type": LocationType.HOTEL},
        not_a_duplicate=True,
    )
    for other in (place, child_entity(child=child, by=officer)):
        link_record(
            by=officer,
            a=person,
            b=other,
            given=LinkInput(
                kind="associates_with", source_agency_id=officer.agency_id, confidence="probable", evidence=SCRIPT
            ),
        )
    missing_episode_record(
        child=child,
        by=officer,
        given=EpisodeInput(started_at=timezone.now() - timedelta(days=2), where_found=IMG, notes=SCRIPT),
    )
    investigation_open(
        by=officer,
        reference=IMG,
        summary=SCRIPT,
        opened_on=date.today(),
        lead_officer=officer,
        children=[child],
        perpetrators=[person],
    )
    return Hostile(waiting=waiting, case=case, meeting=meeting, person=person, users=crew)


def _public_ids(*only: type[Any]) -> list[str]:
    """The public id of every record (of these kinds only, if given)."""
    tables = set(connection.introspection.table_names())
    ids: list[str] = []
    for model in sorted(apps.get_models(), key=lambda model: model._meta.label):
        if only and not issubclass(model, only):
            continue
        if model._meta.db_table in tables and any(f.name == "public_id" for f in model._meta.get_fields()):
            rows = model._default_manager.order_by("pk").values_list("public_id", flat=True)
            ids.extend(str(i) for i in rows if str(i) not in ids)
    return ids


# The fixed words a page's URL may take (the walk tries each).
WORDS = {
    "stage": ["spoc", "triage", "mash", "consent"],
    "kind": ["person", "location", "vehicle", "group", "online_identity"],
}


def _walk_urls(hostile: Hostile, *only: type[Any]) -> list[list[str]]:
    """Every page a GET reaches, a list for each URL pattern: the URL with every record's id (of these kinds only,
    if given) in the id it takes; a child's part in a meeting with its own pair of ids."""
    ids = _public_ids(*only)
    item = hostile.meeting.items.get(child=hostile.case.child)
    pairs = {
        "meetings:item-detail": [(hostile.meeting.public_id, item.public_id)],
        "meetings:item-extract": [(hostile.meeting.public_id, item.public_id)],
    }
    urls: list[list[str]] = []
    for name, _route, converters in _patterns():
        if name.startswith("admin:") or name in ("api-schema", "api-docs", "healthz"):
            continue
        kinds = list(converters.values())
        if any(kind != "UUIDConverter" for kind in kinds):
            words = WORDS.get(next(iter(converters)))
            if len(converters) == 1 and words:
                urls.append([reverse(name, args=[word]) for word in words])
            continue  # the rest take a step's name: POST only
        if not kinds:
            urls.append([reverse(name)])
        elif len(kinds) == 1:
            urls.append([reverse(name, args=[some]) for some in ids])
        else:
            urls.append([reverse(name, args=list(pair)) for pair in pairs.get(name, [])])
    return urls


def _html(response: Any) -> str:
    if "text/html" not in response.get("Content-Type", ""):
        return ""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def test_markup_in_names_and_notes_is_shown_as_text_on_every_page(hostile: Hostile, sign_in: SignIn) -> None:
    child, waiting_child = hostile.case.child, hostile.waiting.child
    assert waiting_child is not None
    shown: set[str] = set()
    # The team manager sees the most; the police officer and the MASH worker look at every page about a child or a
    # referral too.
    for who, kinds in (("tm", ()), ("officer", (Child, Referral)), ("mash", (Child, Referral))):
        client = sign_in(hostile.users[who])
        searches = [f"{reverse('people:child-list')}?q=script", f"{reverse('mapping:record-list')}?q=img"]
        for group in [*_walk_urls(hostile, *kinds), searches]:
            for url in group:
                response = client.get(url)
                if response.status_code == 405:
                    break  # a step's URL, for POST only, whatever the id
                page = _html(response)
                for raw in RAW:
                    assert raw not in page, f"{url} as {who} shows {raw!r} as markup"
                if escape(SCRIPT) in page:
                    shown.add(url)
        # The API's own pages (the browsable API, for a browser asking for HTML) escape it too.
        for url in (f"/api/children/{child.public_id}/", "/api/children/", "/api/cases/review/"):
            page = _html(client.get(url, headers={"Accept": "text/html"}))
            assert not any(raw in page for raw in RAW), f"{url} (HTML) shows markup"
    # The markup was on the pages, as text: the child's record, search results, the case, the review queue, the
    # meeting and the child's part in it, the mapping record and the child's network, the referral.
    item = hostile.meeting.items.get(child=child)
    for url in [
        reverse("people:child-detail", args=[child.public_id]),
        reverse("people:child-detail", args=[waiting_child.public_id]),
        f"{reverse('people:child-list')}?q=script",
        reverse("cases:case-detail", args=[hostile.case.public_id]),
        reverse("cases:review-queue"),
        reverse("meetings:meeting-detail", args=[hostile.meeting.public_id]),
        reverse("meetings:item-detail", args=[hostile.meeting.public_id, item.public_id]),
        reverse("mapping:record-detail", args=[hostile.person.public_id]),
        reverse("mapping:child-mapping", args=[child.public_id]),
        reverse("referrals:referral-detail", args=[hostile.waiting.public_id]),
    ]:
        assert url in shown, f"{url} never showed the name"


# Security headers and production's cookies -------------------------------------------------------------------------


def _assert_security_headers(response: Any, what: str) -> None:
    csp = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"], f"{what}: {csp}"
    assert "'unsafe-inline'" not in directives.get("style-src", []) and "unsafe-eval" not in csp, what
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"], what
    assert response["X-Frame-Options"] == "DENY", what
    assert response["X-Content-Type-Options"] == "nosniff", what
    assert response["Referrer-Policy"] == "same-origin", what
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", what
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


def test_pages_the_api_refusals_and_downloads_carry_the_security_headers(
    sign_in: SignIn, people: dict[str, User], crew: dict[str, User], settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    client = Client()
    _assert_security_headers(client.get(reverse("accounts:login")), "the sign-in page")
    _assert_security_headers(client.get("/api/children/"), "the API refusing a stranger")
    teacher = sign_in(people["teacher"])
    referral, download = _attachment(teacher)
    _assert_security_headers(teacher.get(reverse("ui:home")), "the home page")
    _assert_security_headers(teacher.get(reverse("referrals:referral-detail", args=[referral.public_id])), "a page")
    _assert_security_headers(teacher.get(f"/api/referrals/{referral.public_id}/"), "an API answer")
    _assert_security_headers(teacher.get(f"/api/referrals/{uuid.uuid4()}/"), "an API 404")
    _assert_security_headers(teacher.get(download), "an attachment")
    tm = sign_in(crew["tm"])
    for name in ("mapping:pack-csv", "mapping:pack-pdf"):
        response = tm.get(reverse(name))
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
        _assert_security_headers(response, name)


def _production_settings() -> dict[str, Any]:
    """What evolve.settings.production sets differently from the settings every environment shares."""
    base = importlib.import_module("evolve.settings.base")
    production = importlib.import_module("evolve.settings.production")
    return {
        name: getattr(production, name)
        for name in dir(production)
        if name.isupper() and (not hasattr(base, name) or getattr(base, name) != getattr(production, name))
    }


def test_production_answers_only_https_with_hsts_and_secure_http_only_same_site_cookies(
    team_manager: User,
) -> None:
    production = _production_settings()
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    totp_device(team_manager)
    with override_settings(**production):
        plain = Client().get(reverse("accounts:login"))
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        client = Client(headers={"X-Forwarded-Proto": "https"})  # as the TLS-terminating proxy passes it on
        page = client.get(reverse("accounts:login"))
        assert page.status_code == 200
        assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        _assert_security_headers(page, "the sign-in page in production")
        signed = client.post(reverse("accounts:login"), {"username": team_manager.username, "password": PASSWORD})
        assert signed.status_code == 302 and signed["Location"].startswith(reverse("accounts:two-factor"))
        for cookie in (page.cookies[django_settings.CSRF_COOKIE_NAME], signed.cookies["sessionid"]):
            assert cookie["secure"] is True, cookie.key
            assert cookie["httponly"] is True, cookie.key
            assert cookie["samesite"] == "Lax", cookie.key
        assert not signed.cookies["sessionid"]["max-age"], "the session ends when the browser closes"


# Rate limits: signing in, the API, password reset -----------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_account_with_a_message(
    client: Client, social_worker: User, make_user: Callable[..., User], settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    url = reverse("accounts:login")
    for _ in range(2):
        wrong = client.post(url, {"username": social_worker.username, "password": "not-it"})
        assert wrong.status_code == 200 and "Enter a correct username and password" in wrong.content.decode()
    locked = client.post(url, {"username": social_worker.username, "password": "not-it"})
    assert locked.status_code == 429
    assert "There were too many attempts to sign in" in locked.content.decode()
    assert client.post(url, {"username": social_worker.username, "password": PASSWORD}).status_code == 429
    # Another account from the same address is not locked by them.
    other = make_user(Role.PRACTITIONER, in_team=True, username="colleague")
    assert client.post(url, {"username": other.username, "password": PASSWORD}).status_code == 302


@pytest.fixture
def low_api_rates(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rates of 3 a minute. DRF's throttles read the rates from its settings once, when the module is imported (the
    test settings lift them), so the class's table is set here; the counts are in the cache, as in production."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"})
    yield


def test_the_api_refuses_a_user_over_the_rate_with_a_clear_429(
    low_api_rates: None, sign_in: SignIn, crew: dict[str, User]
) -> None:
    tm, officer = crew["tm"], crew["officer"]
    for user in (tm, officer):
        cache.delete(f"throttle_user_{user.pk}")
    client = sign_in(tm)
    assert [client.get("/api/children/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/children/")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    detail = refused.json()["detail"]
    assert detail.startswith("Too many requests. Try again in ") and detail.endswith(" seconds.")
    assert 0 < int(refused["Retry-After"]) <= 60
    # Counted per user: a colleague is not held up.
    assert sign_in(officer).get("/api/children/").status_code == 200
    for user in (tm, officer):
        cache.delete(f"throttle_user_{user.pk}")


@pytest.fixture
def reset_email(social_worker: User) -> str:
    """The social worker's email address: new for every run, so no count from an earlier run applies."""
    social_worker.email = f"sw-{uuid.uuid4().hex[:12]}@cs.invalid"
    social_worker.save(update_fields=["email"])
    totp_device(social_worker)
    return social_worker.email


def _address() -> str:
    """A client address of this test's own (the counts are kept in Redis for an hour)."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def _ask_for_a_reset(client: Client, email: str, address: str, capture: Any) -> Any:
    with capture(execute=True):
        return client.post(reverse("accounts:password-reset"), {"email": email}, REMOTE_ADDR=address)


def _link(message: Any) -> str:
    line = next(line for line in message.body.splitlines() if "/accounts/password/reset/" in line)
    return line.strip().removeprefix(django_settings.SITE_URL)


def test_a_forgotten_password_is_reset_by_email_and_signing_in_still_needs_the_second_factor(
    client: Client,
    social_worker: User,
    reset_email: str,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sign_in_page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("accounts:password-reset") in sign_in_page, "the sign-in page offers it"
    assert client.get(reverse("accounts:password-reset")).status_code == 200
    asked = _ask_for_a_reset(client, reset_email.upper(), _address(), django_capture_on_commit_callbacks)
    assert asked.status_code == 302 and asked["Location"] == reverse("accounts:password-reset-sent")
    assert "If there is an Evolve account with that email address" in client.get(asked["Location"]).content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [reset_email]
    assert mail.outbox[0].subject == "Reset your Evolve password"
    link = _link(mail.outbox[0])
    key = link.split("/")[-3]
    assert len(key) >= 32 and key != urlsafe_base64_encode(force_bytes(social_worker.pk)), "a random key, not an id"
    form_page = client.get(link)
    assert form_page.status_code == 302 and form_page["Location"].endswith("/set-password/")  # the token leaves the URL
    weak = client.post(form_page["Location"], {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 200 and "This password is too short" in weak.content.decode()
    new_password = "lantern-quarry-heather-42"
    done = client.post(form_page["Location"], {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:login")
    assert "Your password has been reset" in client.get(done["Location"]).content.decode()
    social_worker.refresh_from_db()
    assert social_worker.check_password(new_password)
    assert client.get(reverse("ui:home")).status_code == 302, "a reset signs nobody in"
    # The link worked once.
    used = client.get(link)
    assert used.status_code == 200 and 'data-testid="password-reset-link-invalid"' in used.content.decode()
    # Signing in with the new password still asks for the second factor.
    step = client.post(reverse("accounts:login"), {"username": social_worker.username, "password": new_password})
    assert step.status_code == 302 and step["Location"].startswith(reverse("accounts:two-factor"))
    home = client.get(reverse("ui:home"))
    assert home.status_code == 302 and home["Location"].startswith(reverse("accounts:two-factor"))
    code = backup_code(social_worker)
    assert client.post(step["Location"], {"code": code}).status_code == 302
    assert client.get(reverse("ui:home")).status_code == 200


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    client: Client, reset_email: str, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    known = _ask_for_a_reset(client, reset_email, _address(), django_capture_on_commit_callbacks)
    unknown = _ask_for_a_reset(
        client, f"nobody-{uuid.uuid4().hex[:8]}@cs.invalid", _address(), django_capture_on_commit_callbacks
    )
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [reset_email]
    bad = client.post(reverse("accounts:password-reset"), {"email": "not an address"})
    assert bad.status_code == 200
    assert "Enter an email address in the correct format, like name@example.com" in bad.content.decode()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("account", ["deactivated", "without a second factor yet"])
def test_an_account_that_cannot_sign_in_with_a_new_password_gets_no_link(
    client: Client,
    social_worker: User,
    reset_email: str,
    account: str,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    if account == "deactivated":
        social_worker.is_active = False
        social_worker.save(update_fields=["is_active"])
    else:  # never signed in: whoever first signs in sets up the second factor, so a link would hand the account over
        TOTPDevice.objects.filter(user=social_worker).delete()
    asked = _ask_for_a_reset(client, reset_email, _address(), django_capture_on_commit_callbacks)
    assert asked.status_code == 302 and asked["Location"] == reverse("accounts:password-reset-sent")
    assert mail.outbox == []


def test_password_reset_is_limited_per_account_and_per_address(
    client: Client,
    reset_email: str,
    make_user: Callable[..., User],
    settings: Any,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 2
    # One account, asked for from different addresses: two emails, then nothing, with the same answer.
    answers = [_ask_for_a_reset(client, reset_email, _address(), django_capture_on_commit_callbacks) for _ in range(3)]
    assert {(answer.status_code, answer["Location"]) for answer in answers} == {
        (302, reverse("accounts:password-reset-sent"))
    }
    assert len(mail.outbox) == 2
    # One address asking about different accounts: refused after two, even for an account not yet asked about.
    address = _address()
    for _ in range(2):
        _ask_for_a_reset(client, f"x-{uuid.uuid4().hex[:8]}@cs.invalid", address, django_capture_on_commit_callbacks)
    other = make_user(
        Role.PRACTITIONER, in_team=True, username="colleague", email=f"o-{uuid.uuid4().hex[:8]}@cs.invalid"
    )
    totp_device(other)
    refused = _ask_for_a_reset(client, other.email, address, django_capture_on_commit_callbacks)
    assert refused.status_code == 302 and refused["Location"] == reverse("accounts:password-reset-sent")
    assert len(mail.outbox) == 2, "nothing sent over the limit"
    _ask_for_a_reset(client, other.email, _address(), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3 and mail.outbox[-1].to == [other.email], "the account itself was not locked"


def test_a_new_password_lifts_a_sign_in_lockout(
    client: Client,
    social_worker: User,
    reset_email: str,
    settings: Any,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(reverse("accounts:login"), {"username": social_worker.username, "password": "not-it"})
    assert (
        client.post(reverse("accounts:login"), {"username": social_worker.username, "password": PASSWORD}).status_code
        == 429
    )
    _ask_for_a_reset(client, reset_email, _address(), django_capture_on_commit_callbacks)
    form = client.get(_link(mail.outbox[0]))["Location"]
    new_password = "lantern-quarry-heather-42"
    client.post(form, {"new_password1": new_password, "new_password2": new_password})
    step = client.post(reverse("accounts:login"), {"username": social_worker.username, "password": new_password})
    assert step.status_code == 302 and step["Location"].startswith(reverse("accounts:two-factor"))


def test_a_made_up_reset_link_is_refused(client: Client) -> None:
    response = client.get(reverse("accounts:password-reset-confirm", args=["a" * 32, "abc-0123456789abcdef"]))
    assert response.status_code == 200
    assert 'data-testid="password-reset-link-invalid"' in response.content.decode()


# Attachments --------------------------------------------------------------------------------------------------------

MARF = {
    "child_first_name": "Poppy",
    "child_last_name": "Lomax",
    "child_date_of_birth_0": "3",
    "child_date_of_birth_1": "4",
    "child_date_of_birth_2": "2012",
    "concern": "She told a teacher an older man buys her vodka.",
    "urgency": "routine",
    "consent": "given",
}


def _attachment(client: Client, name: str = "worry.pdf") -> tuple[Referral, str]:
    """The teacher's draft MARF with a PDF attached through the page; the file's download URL."""
    client.post(reverse("referrals:referral-start"))
    referral = Referral.objects.latest("created_at")
    upload = SimpleUploadedFile(name, PDF, content_type="text/html")  # what the browser claims is ignored
    url = reverse("referrals:referral-edit", args=[referral.public_id])
    assert client.post(url, {**MARF, "version": "1", "action": "save", "attachment": upload}).status_code == 302
    attachment = ReferralAttachment.objects.get(referral=referral)
    return referral, reverse("referrals:referral-attachment", args=[referral.public_id, attachment.public_id])


def test_an_attachment_is_served_only_through_its_referral_with_its_checked_type(
    sign_in: SignIn, crew: dict[str, User], settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    referral, download = _attachment(sign_in(crew["teacher"]), name="notes <b>.pdf")
    response = sign_in(crew["teacher"]).get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf", "the type found in the file, not the browser's"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "<" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    for who in ("other_teacher", "other_team_member", "governance", "nurse", "officer"):
        assert sign_in(crew[who]).get(download).status_code == 404, who
    # Another referral's id with this file's id: not found either.
    other, _ = _attachment(sign_in(crew["teacher"]), name="other.pdf")
    wrong_pair = download.replace(str(referral.public_id), str(other.public_id))
    assert sign_in(crew["teacher"]).get(wrong_pair).status_code == 404
    # The files are kept where no web server serves them, under names nobody can guess.
    stored = ReferralAttachment.objects.get(referral=referral).storage_name
    assert "notes" not in stored and (tmp_path / stored).exists()
    assert not str(tmp_path).startswith(str(django_settings.BASE_DIR / "static"))


@pytest.mark.parametrize("content_type", ["text/html", "image/svg+xml", "application/javascript", "text/plain"])
def test_a_stored_file_never_goes_out_as_a_type_a_browser_would_run(content_type: str) -> None:
    with pytest.raises(ValueError, match="Not an allowed content type"):
        serve_private_file(storage_name="referrals/x.pdf", download_name="x.pdf", content_type=content_type)
