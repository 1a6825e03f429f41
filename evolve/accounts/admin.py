"""Administrators manage users, agencies and teams here. Case content is deliberately not registered."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from evolve.accounts.models import Agency, Team, User


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ["name", "short_name", "kind"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    filter_horizontal = ["agencies"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "first_name", "last_name", "agency", "team", "is_active"]
    list_filter = ["agency", "team", "is_active"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Evolve", {"fields": ["agency", "team", "roles", "job_title"]}))
