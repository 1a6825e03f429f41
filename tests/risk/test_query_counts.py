"""Rendering the screening form costs the same whatever the size of the catalogue: an area that doubles its tool
does not make every referral form slower."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from risk.models import CatalogueVersion, Indicator, IndicatorCategory
from risk.selectors import catalogue_current, catalogue_indicators, indicators_by_codes
from risk.services import catalogue_draft_from, indicator_add, indicator_category_add

pytestmark = pytest.mark.django_db


def _queries(read: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as context:
        read()
    return len(context.captured_queries)


def _render(version: CatalogueVersion) -> list[str]:
    """What a template does with the groups: every heading, and every question with its guidance."""
    lines = []
    for group in catalogue_indicators(version=version):
        lines.append(group.name)
        lines.extend(f"{i.code} {i.text} {i.guidance} {i.is_high_risk} {i.category.name}" for i in group.indicators)
    return lines


def _twice_the_size(version: CatalogueVersion) -> CatalogueVersion:
    """A draft with every category and indicator of `version` twice over."""
    draft = catalogue_draft_from(version=version)
    for category in IndicatorCategory.objects.filter(version=draft).order_by("order"):
        twin = indicator_category_add(version=draft, code=f"{category.code}-again", name=f"{category.name} (again)")
        for indicator in Indicator.objects.filter(category=category).order_by("order"):
            indicator_add(
                category=twin,
                code=f"{indicator.code}-again",
                text=indicator.text,
                guidance=indicator.guidance,
                is_high_risk=indicator.is_high_risk,
                applies_to=indicator.applies_to,
            )
    return draft


def test_the_grouped_indicators_cost_the_same_for_a_catalogue_twice_the_size() -> None:
    default = catalogue_current()
    bigger = _twice_the_size(default)
    default_lines, bigger_lines = _render(default), _render(bigger)
    assert len(bigger_lines) == 2 * len(default_lines)

    small = _queries(lambda: _render(default))
    large = _queries(lambda: _render(bigger))

    assert small == large
    assert large <= 2


def test_looking_indicators_up_by_code_costs_the_same_for_many_codes() -> None:
    version = catalogue_current()
    codes = list(Indicator.objects.filter(category__version=version).values_list("code", flat=True))

    few = _queries(lambda: [i.category.name for i in indicators_by_codes(version=version, codes=codes[:2])])
    all_of_them = _queries(lambda: [i.category.name for i in indicators_by_codes(version=version, codes=codes)])

    assert few == all_of_them == 1


def test_drafting_costs_the_same_for_a_catalogue_twice_the_size() -> None:
    default = catalogue_current()
    bigger = _twice_the_size(default)

    small = _queries(lambda: catalogue_draft_from(version=default))
    large = _queries(lambda: catalogue_draft_from(version=bigger))

    assert small == large
