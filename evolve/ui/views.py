"""Site-wide pages: home, accessibility statement, and the error pages in the house style."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from evolve.accounts.models import User
from evolve.accounts.roles import Role
from evolve.people.permissions import may_record_child
from evolve.people.selectors import child_list_for_user

# The front-door queues (referrals app), named here so the kernel's home page does not import a domain app.
FRONT_DOOR_QUEUES = [
    ("spoc", "SPOC queue", (Role.SPOC_WORKER,)),
    ("triage", "Triage queue", (Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER)),
    ("mash", "MASH queue", (Role.MASH_WORKER,)),
    ("consent", "Referrals made without consent, to review", (Role.HEAD_OF_SERVICE,)),
]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = {
        "children_visible": child_list_for_user(user=user).count(),
        "may_record_child": may_record_child(user),
        "queues": [(stage, title) for stage, title, roles in FRONT_DOOR_QUEUES if user.has_role(*roles)],
        # Anyone who may be asked to check their agency's records, or who holds or oversees cases.
        "evolve_links": bool(user.roles) and not user.has_role(Role.GOVERNANCE, Role.ADMINISTRATOR),
    }
    return render(request, "ui/home.html", context)


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "ui/accessibility.html")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
