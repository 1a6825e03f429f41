"""The data protection officer's pages: a child's subject access export (what it holds, making it, its two files),
the retention review list and a decision on one review, and a child's legal holds (placing and lifting them).

Every page is for managers (`dataprotection.permissions`): anyone else is refused (403) before any child is looked
up. A manager asking about a child, export, review or hold they cannot see gets the same 404 as for one that does
not exist. Every child shown is logged; every export and every download of one is logged as an export. An export
is built by a task: its page says when it is ready, and offers to try again if it failed or never started.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dataprotection.forms import ExportForm, LegalHoldForm, LiftHoldForm, RetentionDecisionForm
from dataprotection.models import ReviewStatus, SubjectAccessExport
from dataprotection.permissions import may_do_data_protection
from dataprotection.retention import RULES, rule_title
from dataprotection.selectors import (
    SECTIONS,
    active_hold_for_child,
    export_get_for_user,
    export_overdue,
    exports_for_child,
    legal_hold_get_for_user,
    legal_holds_for_child,
    legal_holds_in_force_for_user,
    legal_holds_shown,
    retention_decisions_for_child,
    retention_review_get_for_user,
    retention_reviews_for_user,
    retention_reviews_shown,
)
from dataprotection.services import (
    DataProtectionRefused,
    legal_hold_lift,
    legal_hold_place,
    retention_decision_record,
    subject_access_export_downloaded,
    subject_access_export_request,
    subject_access_export_retry,
)
from evolve.accounts.models import User
from evolve.people.selectors import child_get_for_user
from evolve.ui.forms import form_show_service_errors
from evolve.uploads.storage import private_storage

PAGE_SIZE = 25
REFUSED = "Subject access exports, retention reviews and legal holds are for managers who can see the child's record."
FILES = {"pdf": "application/pdf", "json": "application/json"}


def _manager(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not may_do_data_protection(user):
        raise PermissionDenied(REFUSED)
    return user


# Subject access -----------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def export_start(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _manager(request)
    posted = request.method == "POST"
    # A POST is logged as the export itself; the page is logged as a read.
    child = child_get_for_user(
        user=user, public_id=public_id, audit_what=None if posted else "record, for a subject access export"
    )
    form = ExportForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            export = subject_access_export_request(child=child, by=user, reference=form.cleaned_data["reference"])
        except ValidationError as error:
            form_show_service_errors(form, error)
        else:
            messages.success(request, "The subject access export is being made.")
            return redirect("dataprotection:export-detail", export.public_id)
    context: dict[str, Any] = {
        "child": child,
        "form": form,
        "sections": SECTIONS,
        "exports": exports_for_child(user=user, child_id=child.pk),
    }
    return render(request, "dataprotection/export_start.html", context, status=400 if form.errors else 200)


@require_GET
def export_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _manager(request)
    export = export_get_for_user(user=user, public_id=public_id)
    counts = [(title, _count(export, key)) for key, title in SECTIONS if key != "child"] if export.is_built else []
    context = {"export": export, "counts": counts, "overdue": export_overdue(export)}
    return render(request, "dataprotection/export_detail.html", context)


@require_POST
def export_retry(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _manager(request)
    export = export_get_for_user(user=user, public_id=public_id, audit=False)
    try:
        subject_access_export_retry(export=export, by=user)
    except DataProtectionRefused:
        pass  # made in the meantime: the page offers the files
    else:
        messages.success(request, "The subject access export is being made again.")
    return redirect("dataprotection:export-detail", export.public_id)


def _count(export: SubjectAccessExport, key: str) -> str:
    """How many records of a section the export holds, in words ("3", or "2 links, 1 missing episode...")."""
    counts: dict[str, int] = export.counts
    if key in counts:
        return str(counts[key])
    parts = {
        "mapping": ("links", "missing_episodes", "investigations", "disruptions"),
        "data_protection": ("legal_holds", "retention_reviews", "earlier_exports"),
    }.get(key, ())
    words = []
    for part in parts:
        count = counts.get(part, 0)
        name = part.replace("_", " ")
        words.append(f"{count} {name if count != 1 else name.removesuffix('s')}")
    return ", ".join(words)


def _download(request: HttpRequest, public_id: str, format: str) -> FileResponse:
    user = _manager(request)
    export = export_get_for_user(user=user, public_id=public_id, audit=False)
    if not export.is_built:
        raise Http404("The export has not been made yet")
    stored = export.pdf_name if format == "pdf" else export.json_name
    storage = private_storage()
    if not storage.exists(stored):
        raise Http404("The export's file is missing")
    subject_access_export_downloaded(export=export, by=user, format=format)
    # No name in the file name: downloads folders and backups list file names.
    name = f"subject-access-export-{export.made_at:%Y-%m-%d}-{export.public_id.hex[:8]}.{format}"
    response = FileResponse(storage.open(stored, "rb"), as_attachment=True, filename=name, content_type=FILES[format])
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def export_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    return _download(request, public_id, "pdf")


@require_GET
def export_json(request: HttpRequest, public_id: str) -> FileResponse:
    return _download(request, public_id, "json")


# Retention ----------------------------------------------------------------------------------------------------------


@require_GET
def retention_list(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    page = Paginator(retention_reviews_for_user(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    reviews = list(page.object_list)
    retention_reviews_shown(user=user, reviews=reviews)
    rows = [(review, rule_title(review.rule)) for review in reviews]
    return render(
        request, "dataprotection/retention_list.html", {"page": page, "rows": rows, "rules": list(RULES.values())}
    )


@require_http_methods(["GET", "POST"])
def retention_review(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _manager(request)
    review = retention_review_get_for_user(user=user, public_id=public_id)
    form = RetentionDecisionForm(request.POST if request.method == "POST" else None)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            retention_decision_record(
                review=review,
                by=user,
                outcome=form.cleaned_data["outcome"],
                retain_years=form.cleaned_data["retain_years"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form_show_service_errors(form, error)
        except DataProtectionRefused as refused:
            refusal = str(refused)
            form.add_error(None, refusal)
        else:
            messages.success(request, "The retention decision is recorded.")
            return redirect("dataprotection:retention-list")
    context: dict[str, Any] = {
        "review": review,
        "child": review.child,
        "rule": RULES.get(review.rule),
        "rule_title": rule_title(review.rule),
        "is_open": review.status == ReviewStatus.OPEN,
        "hold": active_hold_for_child(child_id=review.child_id),
        "history": retention_decisions_for_child(user=user, child_id=review.child_id, rule=review.rule),
        "form": form,
    }
    status = 409 if refusal else 400 if form.errors else 200
    return render(request, "dataprotection/retention_review.html", context, status=status)


# Legal holds --------------------------------------------------------------------------------------------------------


@require_GET
def hold_list(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    page = Paginator(legal_holds_in_force_for_user(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    holds = list(page.object_list)
    legal_holds_shown(user=user, holds=holds)
    return render(request, "dataprotection/hold_list.html", {"page": page, "holds": holds})


@require_http_methods(["GET", "POST"])
def child_holds(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _manager(request)
    posted = request.method == "POST"
    child = child_get_for_user(
        user=user, public_id=public_id, audit_what="record, to place a legal hold" if posted else "legal holds"
    )
    form = LegalHoldForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            legal_hold_place(
                child=child, by=user, inquiry=form.cleaned_data["inquiry"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form_show_service_errors(form, error)
        else:
            messages.success(request, "The legal hold is in force: no retention action will be taken on these records.")
            return redirect("dataprotection:child-holds", child.public_id)
    context: dict[str, Any] = {
        "child": child,
        "holds": legal_holds_for_child(user=user, child_id=child.pk),
        "form": form,
    }
    return render(request, "dataprotection/child_holds.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def hold_lift(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _manager(request)
    hold = legal_hold_get_for_user(user=user, public_id=public_id)
    child = child_get_for_user(user=user, public_id=hold.child.public_id, audit_what=f"legal hold {hold.pk}")
    form = LiftHoldForm(request.POST if request.method == "POST" else None)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            legal_hold_lift(hold=hold, by=user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form_show_service_errors(form, error)
        except DataProtectionRefused as refused:
            refusal = str(refused)
            form.add_error(None, refusal)
        else:
            messages.success(request, "The legal hold is lifted.")
            return redirect("dataprotection:child-holds", child.public_id)
    status = 409 if refusal else 400 if form.errors else 200
    return render(request, "dataprotection/hold_lift.html", {"hold": hold, "child": child, "form": form}, status=status)
