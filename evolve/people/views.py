"""Pages for children: find, add (offering likely duplicates first), read, change, and the access report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evolve.access import gate
from evolve.access.breakglass import (
    MAX_OPEN_AT_ONCE,
    REASON_MIN_LENGTH,
    break_glass_child_for_user,
    break_glass_child_visible,
    break_glass_open,
    break_glass_open_for,
    break_glass_review_detail,
    break_glass_review_get_for_user,
    break_glass_review_record,
    break_glass_reviews_for_user,
    may_review_break_glass,
)
from evolve.access.grants import child_grantees
from evolve.access.models import BreakGlassAccess, BreakGlassOutcome
from evolve.accounts.models import User
from evolve.accounts.selectors import user_get_active_by_username
from evolve.audit.selectors import access_log_for_child
from evolve.chronology.selectors import chronology_for_child
from evolve.people.forms import (
    ChildAccessGrantForm,
    ChildAddressForm,
    ChildAliasForm,
    ChildCreateForm,
    ChildEditForm,
    ChildIdentifierForm,
)
from evolve.people.models import Child
from evolve.people.permissions import may_change_child, may_read_access_report, may_record_child, may_restrict_to_agency
from evolve.people.selectors import child_duplicate_candidates, child_get_for_user, child_list_for_user, children_shown
from evolve.people.services import (
    IDENTITY_FIELDS,
    ConcurrentEditError,
    child_access_grant,
    child_address_add,
    child_alias_add,
    child_create,
    child_identifier_add,
    child_update,
)
from evolve.ui.forms import form_show_service_errors

PAGE_SIZE = 25
CHRONOLOGY_SHOWN = 30


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


MAX_SEARCH_PAGE = 10_000


@dataclass(frozen=True)
class BestMatches:
    """A page of a name search's best matches, without counting every match: a common surname misspelt matches
    thousands of children, and counting them cost more than finding the best. One row more than the page is read
    to know whether there is a next page; the page says how many it shows and to narrow the search when more match.
    Offers what `components/pagination.html` reads of a Django Page."""

    object_list: list[Child]
    number: int
    has_next: bool
    size: int

    @classmethod
    def read(cls, children: QuerySet[Child], *, number: str | None, size: int) -> BestMatches:
        try:
            page = max(1, int(number or 1))
        except ValueError:
            page = 1
        if page > MAX_SEARCH_PAGE:  # an offset past bigint is a database error; nobody pages that far
            page = 1
        start = (page - 1) * size
        rows = list(children[start : start + size + 1])
        if not rows and page > 1:  # past the end (a stale link): the first page, as Paginator.get_page does
            return cls.read(children, number="1", size=size)
        return cls(object_list=rows[:size], number=page, has_next=len(rows) > size, size=size)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next or self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1

    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.object_list)


@require_GET
def child_list(request: HttpRequest) -> HttpResponse:
    gate.refuse_governance(request.user)
    user = _user(request)
    search = request.GET.get("q", "").strip()[:200]
    children_found = child_list_for_user(user=user, search=search)
    page: Page[Child] | BestMatches
    if search:
        page = BestMatches.read(children_found, number=request.GET.get("page"), size=PAGE_SIZE)
    else:
        page = Paginator(children_found, PAGE_SIZE).get_page(request.GET.get("page"))
    children = list(page.object_list)
    children_shown(user=user, children=children, what="search results for a name" if search else "list of children")
    context = {"page": page, "children": children, "search": search, "may_record_child": may_record_child(user)}
    return render(request, "people/child_list.html", context)


@require_http_methods(["GET", "POST"])
def child_create_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not may_record_child(user):
        raise PermissionDenied("Your role does not record children.")
    form = ChildCreateForm(data=request.POST or None)
    if not may_restrict_to_agency(user):
        del form.fields["restrict_to_my_agency"]
    check = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data.get("confirmed_new"):
            check = child_duplicate_candidates(
                user=user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data.get("date_of_birth"),
            )
        if check is None or not (check.candidates or check.hidden_count):
            try:
                child = child_create(
                    by=user, details=form.details(), restrict_to_my_agency=bool(data.get("restrict_to_my_agency"))
                )
            except ValidationError as error:
                form_show_service_errors(form, error)
            else:
                messages.success(request, "Child added")
                return redirect("people:child-detail", public_id=child.public_id)
        else:
            # Ask again with the matches in view; the next submission means "none of these is the child".
            form = ChildCreateForm(data={**request.POST.dict(), "confirmed_new": "True"})
            if not may_restrict_to_agency(user):
                del form.fields["restrict_to_my_agency"]
            form.is_valid()
    return render(request, "people/child_create.html", {"form": form, "check": check})


@require_GET
def child_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    try:
        child = child_get_for_user(user=user, public_id=public_id)
    except Http404:
        return _restricted_or_404(request, public_id)
    context = {
        "child": child,
        "emergency_opening": break_glass_open_for(user=user, child=child),
        "may_change": may_change_child(user, child),
        "may_read_access_report": may_read_access_report(user, child),
        "alias_form": ChildAliasForm(),
        "identifier_form": ChildIdentifierForm(),
        "address_form": ChildAddressForm(),
        "chronology": list(chronology_for_child(child_id=child.pk, viewer=user)[:CHRONOLOGY_SHOWN]),
    }
    return render(request, "people/child_detail.html", context)


@require_http_methods(["GET", "POST"])
def child_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    child = child_get_for_user(user=user, public_id=public_id, audit_what="record, to change it")
    if not may_change_child(user, child):
        raise PermissionDenied("Your role does not change children's records.")
    initial = {name: getattr(child, name) for name in IDENTITY_FIELDS} | {"version": child.version}
    form = ChildEditForm(data=request.POST or None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            child_update(child=child, by=user, based_on_version=form.cleaned_data["version"], changes=form.changes())
        except ConcurrentEditError as error:
            # Keep what this user typed; show what the other person saved; the next save is based on theirs.
            conflict = error.current
            form = ChildEditForm(data={**request.POST.dict(), "version": str(conflict.version)}, initial=initial)
            form.is_valid()
            form.add_error(
                None,
                "Someone else changed this record while you were editing it. "
                "Check their changes below, then save again",
            )
        except ValidationError as error:
            form_show_service_errors(form, error)
        else:
            messages.success(request, "Changes saved")
            return redirect("people:child-detail", public_id=child.public_id)
    return render(request, "people/child_edit.html", {"form": form, "child": child, "conflict": conflict})


def _add_to_child(
    request: HttpRequest,
    public_id: str,
    *,
    form_class: type[forms.Form],
    save: Callable[[Child, User, forms.Form], object],
    title: str,
    done: str,
) -> HttpResponse:
    """The small "add a name / address / reference" forms on a child's page share one flow."""
    user = _user(request)
    child = child_get_for_user(user=user, public_id=public_id, audit_what=None)
    if not may_change_child(user, child):
        raise PermissionDenied("Your role does not change children's records.")
    form = form_class(data=request.POST)
    if form.is_valid():
        try:
            save(child, user, form)
        except ValidationError as error:
            form_show_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("people:child-detail", public_id=child.public_id)
    action = request.resolver_match.view_name if request.resolver_match else ""
    context = {"form": form, "child": child, "title": title, "action": action}
    return render(request, "people/child_add_detail.html", context, status=400)


@require_POST
def child_alias_create(request: HttpRequest, public_id: str) -> HttpResponse:
    return _add_to_child(
        request,
        public_id,
        form_class=ChildAliasForm,
        save=lambda child, user, form: child_alias_add(
            child=child, by=user, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"]
        ),
        title="Add a name the child is known by",
        done="Name added",
    )


@require_POST
def child_address_create(request: HttpRequest, public_id: str) -> HttpResponse:
    return _add_to_child(
        request,
        public_id,
        form_class=ChildAddressForm,
        save=lambda child, user, form: child_address_add(
            child=child,
            by=user,
            address=form.address(),  # type: ignore[attr-defined]
        ),
        title="Add a new address",
        done="Address added",
    )


@require_POST
def child_identifier_create(request: HttpRequest, public_id: str) -> HttpResponse:
    return _add_to_child(
        request,
        public_id,
        form_class=ChildIdentifierForm,
        save=lambda child, user, form: child_identifier_add(
            child=child, by=user, system=form.cleaned_data["system"], value=form.cleaned_data["value"]
        ),
        title="Add a reference from another agency's system",
        done="Reference added",
    )


@require_GET
def child_access_report(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    child = child_get_for_user(user=user, public_id=public_id, audit_what="access report")
    if not may_read_access_report(user, child):
        raise PermissionDenied("Only managers can see who has looked at a child's record.")
    return _access_report(request, child, ChildAccessGrantForm())


def _access_report(
    request: HttpRequest, child: Child, grant_form: ChildAccessGrantForm, status: int = 200
) -> HttpResponse:
    page = Paginator(access_log_for_child(child_id=child.pk), 50).get_page(request.GET.get("page"))
    context = {"child": child, "page": page, "grantees": child_grantees(child=child), "grant_form": grant_form}
    return render(request, "people/child_access_report.html", context, status=status)


@require_POST
def child_access_grant_create(request: HttpRequest, public_id: str) -> HttpResponse:
    """A manager gives one named person sight of this record, with the reason recorded."""
    user = _user(request)
    child = child_get_for_user(user=user, public_id=public_id, audit_what=None)
    if not may_read_access_report(user, child):
        raise PermissionDenied("Only managers can give someone access to a child's record.")
    form = ChildAccessGrantForm(data=request.POST)
    if form.is_valid():
        grantee = user_get_active_by_username(username=form.cleaned_data["username"])
        if grantee is None:
            form.add_error("username", "There is no active user with that username")
        else:
            try:
                child_access_grant(child=child, to=grantee, by=user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form_show_service_errors(form, error)
            else:
                messages.success(request, f"{grantee.display_name} can now see this record")
                return redirect("people:child-access-report", public_id=child.public_id)
    return _access_report(request, child, form, status=400)


# Break-glass: opening a record restricted to another agency in an emergency (evolve.access.breakglass).


def _restricted_or_404(request: HttpRequest, public_id: str) -> HttpResponse:
    """A member of the child's own team learns the record is restricted, and may open it in an emergency; for
    anyone else it stays the plain 404, so an id reveals nothing."""
    child = break_glass_child_for_user(user=_user(request), public_id=public_id)
    if child is None:
        raise Http404("No such record, or not one you may see")
    return render(request, "people/breakglass_restricted.html", {"child": child}, status=404)


class BreakGlassForm(forms.Form):
    # Not required here: the service checks both, with one set of messages for every caller.
    reason = forms.CharField(
        label="Why you need to open this record now",
        help_text=(
            f"At least {REASON_MIN_LENGTH} characters. Say what the emergency is and why it cannot wait for the "
            "record's agency to give you access. This is recorded in the access log with your name."
        ),
        widget=forms.Textarea,
        required=False,
        strip=True,
    )
    understood = forms.BooleanField(
        label="I understand this is logged and my manager and the owning agency's manager will review it",
        required=False,
    )


@require_http_methods(["GET", "POST"])
def child_break_glass(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    child = break_glass_child_for_user(user=user, public_id=public_id)
    if child is None:
        raise Http404("No such record, or not one you may see")
    if break_glass_child_visible(user=user, child=child):
        return redirect("people:child-detail", public_id=child.public_id)  # already open to them: nothing to break
    form = BreakGlassForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            break_glass_open(
                user=user,
                child=child,
                reason=form.cleaned_data["reason"],
                understood=bool(form.cleaned_data["understood"]),
            )
        except ValidationError as error:
            form_show_service_errors(form, error)
        else:
            return redirect("people:child-detail", public_id=child.public_id)
    context = {"form": form, "child": child, "max_open": MAX_OPEN_AT_ONCE, "minutes": settings.BREAK_GLASS_MINUTES}
    return render(request, "people/breakglass_open.html", context, status=400 if form.errors else 200)


@require_GET
def breakglass_review_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not may_review_break_glass(user):
        raise PermissionDenied("Only managers review emergency openings of records restricted to their agency.")
    page = Paginator(break_glass_reviews_for_user(user=user), 50).get_page(request.GET.get("page"))
    return render(request, "people/breakglass_review_list.html", {"page": page})


class BreakGlassReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Was opening the record appropriate?",
        choices=BreakGlassOutcome.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Choose whether opening the record was appropriate"},
    )
    notes = forms.CharField(
        label="Notes",
        help_text="Required if it was not appropriate. The person who opened it and their manager may be told.",
        widget=forms.Textarea,
        required=False,
    )


@require_http_methods(["GET", "POST"])
def breakglass_review(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    opening = break_glass_review_get_for_user(user=user, public_id=public_id)
    form = BreakGlassReviewForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            break_glass_review_record(
                opening=opening, by=user, outcome=form.cleaned_data["outcome"], notes=form.cleaned_data["notes"]
            )
        except ValidationError as error:
            form_show_service_errors(form, error)
            opening = break_glass_review_get_for_user(user=user, public_id=public_id)  # someone may have reviewed it
        else:
            messages.success(request, "Review recorded")
            return redirect("people:breakglass-review-list")
    return _breakglass_review_page(request, user, opening, form)


def _breakglass_review_page(
    request: HttpRequest, user: User, opening: BreakGlassAccess, form: BreakGlassReviewForm
) -> HttpResponse:
    detail = break_glass_review_detail(user=user, opening=opening)
    context = {"detail": detail, "opening": detail.opening, "form": form}
    return render(request, "people/breakglass_review.html", context, status=400 if form.errors else 200)
