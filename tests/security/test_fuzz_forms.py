"""Hostile input to every form (issue 10): hypothesis fills each form of the service with what a careless paste, a
hurried hand or an attacker sends (control characters, NULs, right-to-left marks, digits from other scripts, numbers
far too big, dates that do not exist, text far too long) and validating it must never raise: a form says what is
wrong, it never answers 500. Forms are found by walking every form module, so a new form is fuzzed without being
listed; one whose constructor needs something this test cannot give fails until CONSTRUCTION says how.

Whether a refused post changes nothing is the views' part: tested with each page, with hostile input through every
step of the referral pathway by tests/referrals/test_fuzz_steps.py, and for the API by tests/security/test_fuzz_api.py.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from django import forms
from django.test import RequestFactory
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evolve.accounts.models import User
from tests.security.hostile import form_names

pytestmark = pytest.mark.django_db

FORM_MODULES = [
    "dataprotection.forms",
    "evolve.accounts.forms",
    "evolve.cases.forms",
    "evolve.cases.quality_forms",
    "evolve.people.forms",
    "evolve.ui.forms",
    "mapping.forms",
    "mapping.pursuit_forms",
    "meetings.forms",
    "referrals.forms",
    "reporting.forms",
    "risk.forms",
]

# What a form's own keyword arguments are given: empty choices, no agency. The fields still validate what is posted.
CONSTRUCTION: dict[str, Any] = {
    "indicator_choices": [],
    "child_choices": [],
    "team_choices": [],
    "audits": [],
    "auditors": [],
    "groups": [],
    "agencies": [],
    "kind": "person",
    "agency": None,
    "options": {},
    "locations": [],
    "involved": [],
    "user": User(username="fuzzed-user", email="fuzzed@evolve.invalid"),  # never saved
}


def _form_classes() -> Iterator[type[forms.BaseForm]]:
    seen: set[type[forms.BaseForm]] = set()
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            abstract = issubclass(value, forms.BaseModelForm) and value._meta.model is None  # a mixin, no model
            if issubclass(value, forms.BaseForm) and value.__module__ == name and value not in seen and not abstract:
                seen.add(value)
                yield value


FORMS = sorted(_form_classes(), key=lambda form: f"{form.__module__}.{form.__name__}")


def _build(form_class: type[forms.BaseForm], data: MultiValueDict[str, Any] | None) -> forms.BaseForm:
    """The form with what its constructors (its own and its bases', which take the rest through **kwargs) ask for: a
    request or a user first when a base takes one positionally, as Django's password forms do."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for klass in form_class.__mro__:
        if "__init__" not in vars(klass) or klass is forms.BaseForm:
            continue
        for name, parameter in inspect.signature(vars(klass)["__init__"]).parameters.items():
            positional = parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            if name == "request" and positional and not args:
                args.append(RequestFactory().post("/"))
            elif name == "user" and positional and not args:
                args.append(CONSTRUCTION["user"])
            elif name in CONSTRUCTION and not positional:
                kwargs.setdefault(name, CONSTRUCTION[name])
    kwargs["data"] = data
    return form_class(*args, **kwargs)


def test_every_form_module_is_fuzzed() -> None:
    assert len(FORMS) > 60, [form.__name__ for form in FORMS]


@pytest.mark.parametrize("form_class", FORMS, ids=lambda form: f"{form.__module__}.{form.__name__}")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_input_is_refused_or_accepted_never_an_error(form_class: type[forms.BaseForm], data: Any) -> None:
    names = form_names(_build(form_class, None))
    # As a browser posts: each name once, sometimes more than once (a checkbox list, or a tampered form).
    posted = MultiValueDict({name: data.draw(st.lists(kind, min_size=1, max_size=3)) for name, kind in names.items()})
    form = _build(form_class, posted)
    assert form.is_valid() in (True, False)
    if not form.is_valid():
        assert form.errors  # refused with a message, not silently
