"""Shared fixtures: the team, one user per role, signed-in clients (password and second factor)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from tests.factories import AgencyFactory, TeamFactory, UserFactory, totp_device


@pytest.fixture
def police(db: None) -> Agency:
    return AgencyFactory.create(name="Police Public Protection Unit", short_name="PPU", kind=Agency.Kind.POLICE)


@pytest.fixture
def social_care(db: None) -> Agency:
    return AgencyFactory.create(name="Children's Services", short_name="CS", kind=Agency.Kind.CHILDRENS_SOCIAL_CARE)


@pytest.fixture
def school(db: None) -> Agency:
    return AgencyFactory.create(name="Hilltop School", short_name="Hilltop", kind=Agency.Kind.EDUCATION)


@pytest.fixture
def team(police: Agency, social_care: Agency) -> Team:
    team = TeamFactory.create(name="Evolve")
    team.agencies.set([police, social_care])
    return team


@pytest.fixture
def make_user(team: Team, social_care: Agency) -> Callable[..., User]:
    def make(*roles: Role, agency: Agency | None = None, in_team: bool = False, **fields: object) -> User:
        return UserFactory.create(
            roles=list(roles), agency=agency or social_care, team=team if in_team else None, **fields
        )

    return make


@pytest.fixture
def team_manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.TEAM_MANAGER, in_team=True, username="tm")


@pytest.fixture
def police_officer(make_user: Callable[..., User], police: Agency) -> User:
    return make_user(Role.PRACTITIONER, agency=police, in_team=True, username="officer")


@pytest.fixture
def social_worker(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTITIONER, in_team=True, username="sw")


@pytest.fixture
def outsider(make_user: Callable[..., User], school: Agency) -> User:
    """Someone from an agency outside the team, with no grant: a teacher who refers."""
    return make_user(Role.REFERRER, agency=school, username="teacher")


@pytest.fixture
def governance(make_user: Callable[..., User]) -> User:
    return make_user(Role.GOVERNANCE, username="board")


def kept_text(html: str) -> str:
    """The text a refused step gave back (templates/components/refusal.html's kept-text block), to show it was not
    lost and is not just somewhere else on the page."""
    kept = html[html.index('data-testid="kept-text"') :]
    return kept[: kept.index("</div>")]


def signed_in(client: Client, user: User) -> Client:
    """A client past both factors, as the sign-in pages leave it."""
    client.force_login(user, backend="evolve.accounts.backends.UserBackend")
    device = totp_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def sign_in(client: Client) -> Callable[[User], Client]:
    def sign(user: User) -> Client:
        client.logout()
        return signed_in(client, user)

    return sign


@pytest.fixture
def published_catalogue(transactional_db: None) -> None:
    """The screening catalogue comes from the risk app's migrations; a committing test run before this one empties
    the tables, so it is loaded again the way the migration loads it (for tests that commit: `transaction=True`)."""
    from django.apps import apps

    from risk.models import CatalogueVersion

    if not CatalogueVersion.objects.filter(published_at__isnull=False).exists():
        migration = importlib.import_module("risk.migrations.0002_default_catalogue")
        migration.load_default_catalogue(apps, None)
