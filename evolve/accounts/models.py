"""Agencies, teams and the people who use Evolve."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models

from evolve.accounts.roles import MANAGER_ROLES, TEAM_ROLES, Role


class Agency(models.Model):
    """An organisation: one of the team's five agencies, or any other that refers or is asked for information."""

    class Kind(models.TextChoices):
        POLICE = "police", "Police"
        CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
        HEALTH = "health", "Health"
        VOLUNTARY = "voluntary", "Voluntary sector"
        EDUCATION = "education", "Education"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=30, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.short_name


class Team(models.Model):
    """A multi-agency team such as Evolve: the agencies that work in it share what they hold as one team."""

    name = models.CharField(max_length=200, unique=True)
    agencies = models.ManyToManyField(Agency, related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Someone who signs in. Belongs to one agency; a member of a team if `team` is set; holds one or more roles."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="users", null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="members", null=True, blank=True)
    roles = ArrayField(models.CharField(max_length=40, choices=Role.choices), default=list, blank=True)
    job_title = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [GinIndex(fields=["roles"], name="user_roles_gin")]

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_team_member(self) -> bool:
        return self.team_id is not None and any(role in TEAM_ROLES for role in self.roles)

    @property
    def is_manager(self) -> bool:
        return any(role in MANAGER_ROLES for role in self.roles)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles]
