"""`manage.py seed_demo`: a user for every role, synthetic children, logins a newcomer can use at once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from evolve.accounts.models import User
from evolve.accounts.roles import Role
from evolve.demo.data import DEMO_BACKUP_CODES, DEMO_PASSWORD
from evolve.people.models import Child
from evolve.people.selectors import child_list_for_user

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_a_user_for_every_role_and_prints_the_logins() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    for role in Role:
        assert User.objects.filter(roles__contains=[role]).exists(), role
    assert DEMO_PASSWORD in printed and DEMO_BACKUP_CODES[0] in printed
    assert "tm " in printed and "governance" in printed
    assert Child.objects.count() >= 30
    from referrals.models import Referral

    states = sorted(Referral.objects.values_list("state", flat=True))
    assert states == sorted(["draft", "submitted", "submitted", "logged", "screened", "with_mash", "co_allocated"])


def test_seed_demo_can_run_again_without_duplicating_children() -> None:
    call_command("seed_demo", stdout=StringIO())
    children = Child.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Child.objects.count() == children


def test_demo_access_follows_the_rules() -> None:
    call_command("seed_demo", stdout=StringIO())
    police = User.objects.get(username="police")
    social_worker = User.objects.get(username="socialworker")
    restricted = Child.objects.filter(restricted_to_agency__short_name="SYP PPU")
    assert restricted.exists()
    assert set(restricted) <= set(child_list_for_user(user=police))
    assert not set(restricted) & set(child_list_for_user(user=social_worker))
    assert list(child_list_for_user(user=User.objects.get(username="governance"))) == []
    assert child_list_for_user(user=User.objects.get(username="caseholder")).count() == 2


def test_a_demo_user_signs_in_with_a_printed_backup_code(client: Client) -> None:
    call_command("seed_demo", stdout=StringIO())
    client.post("/accounts/login/", {"username": "tm", "password": DEMO_PASSWORD})
    client.post("/accounts/two-factor/", {"code": DEMO_BACKUP_CODES[0]})
    assert client.get("/").status_code == 200


def test_demo_data_is_refused_where_it_is_not_allowed(settings) -> None:
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="switched off"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()
