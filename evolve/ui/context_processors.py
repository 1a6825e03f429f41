from typing import Any

from django.conf import settings
from django.http import HttpRequest

from evolve.accounts.roles import REPORT_OVERSIGHT_ROLES, REPORT_OWNER_ROLES


def service(request: HttpRequest) -> dict[str, Any]:
    return {
        "service_name": "Evolve",
        "session_timeout_seconds": settings.SESSION_COOKIE_AGE,
        "session_warning_seconds": settings.SESSION_TIMEOUT_WARNING_SECONDS,
        "reports_link": _reads_reports(request),
    }


def _reads_reports(request: HttpRequest) -> bool:
    """reporting.permissions.may_read_reports by role alone, so the navigation costs no query (the two share the role
    lists; tests/reporting/test_pages.py keeps them in step)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.has_role(*REPORT_OVERSIGHT_ROLES) or (user.has_role(*REPORT_OWNER_ROLES) and user.team_id))
