"""Test data builders. Synthetic names only."""

from __future__ import annotations

from datetime import date

import factory
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.people.models import Child
from evolve.people.selectors import normalise_names


class AgencyFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency
        django_get_or_create = ("short_name",)

    name = factory.Sequence(lambda n: f"Agency {n}")
    short_name = factory.Sequence(lambda n: f"AG{n}")
    kind = Agency.Kind.OTHER


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = "Evolve"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    agency = factory.SubFactory(AgencyFactory)
    roles = factory.LazyFunction(lambda: [Role.PRACTITIONER])
    password = factory.django.Password("correct-horse-battery-staple")


class ChildFactory(factory.django.DjangoModelFactory[Child]):
    """Builds a child directly (bypassing the services) for tests that are about reading."""

    class Meta:
        model = Child

    first_name = "Ellie"
    last_name = factory.Sequence(lambda n: f"Testchild{n}")
    date_of_birth = date(2012, 5, 17)
    created_by = factory.SubFactory(UserFactory)
    search_names = factory.LazyAttribute(lambda child: normalise_names(f"{child.first_name} {child.last_name}"))


def totp_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def backup_code(user: User, code: str = "12345678") -> str:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
    StaticToken.objects.create(device=device, token=code)
    return code
