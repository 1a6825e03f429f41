"""Who sees the monthly reports, and who may rebuild one.

The reports are aggregates: no child's identity is in them, so reading one reaches no child's record. Readers are the
team's managers (the team manager and detective sergeant own the monthly data set) and the area's oversight: the
governance group, heads of service and service managers. Someone in one of those oversight roles who belongs to a team
sees that team's reports; without a team they oversee the whole deployment (one area's partnership) and see every
team's. A practitioner, the front door, a referrer or an administrator sees none.
"""

from __future__ import annotations

from django.db.models import QuerySet

from evolve.accounts.models import Team, User
from evolve.accounts.roles import REPORT_OVERSIGHT_ROLES as OVERSIGHT
from evolve.accounts.roles import REPORT_OWNER_ROLES as TEAM_OWNERS


def report_teams(user: User) -> QuerySet[Team]:
    """The teams whose reports `user` may read (none for most roles)."""
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.has_role(*OVERSIGHT):
        return Team.objects.filter(pk=user.team_id) if user.team_id else Team.objects.all()
    if user.has_role(*TEAM_OWNERS) and user.team_id:
        return Team.objects.filter(pk=user.team_id)
    return Team.objects.none()


def may_read_reports(user: User) -> bool:
    return report_teams(user).exists()


def may_rebuild(user: User, *, team_id: int) -> bool:
    """The team's own manager or detective sergeant: the schedule builds every month; they may build one again."""
    return user.is_active and user.has_role(*TEAM_OWNERS) and user.team_id == team_id
