"""Site-wide pages: home, accessibility statement, and the error pages in the house style."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
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


# PostgreSQL's own codes for a lost or refused connection (class 08; shut down by an administrator, a crash or a
# restart; too many connections). A deadlock or a cancelled statement is an OperationalError too, but the database
# answered: that is a 500, and what was saved is not known to be nothing.
CONNECTION_LOST_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def database_unreachable(error: BaseException | None) -> bool:
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    state = getattr(error.__cause__, "sqlstate", None)
    return state is None or state.startswith("08") or state in CONNECTION_LOST_STATES


def server_error(request: HttpRequest) -> HttpResponse:
    if database_unreachable(sys.exc_info()[1]):
        return database_unavailable(request)
    return render(request, "500.html", status=500)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with a page that needs no database (no context processors: they read the user and the notifications).
    Django drops the broken connection when the request ends, and the next request connects afresh."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": "The service cannot reach its database just now. Nothing was saved; try again in a minute."},
            status=503,
        )
    else:
        response = HttpResponse(get_template("503.html").render({"service_name": "Evolve"}), status=503)
    response["Retry-After"] = "30"
    return response
