"""The screening catalogue: the default tool is there from the start, a published version never changes, and a new
version is a copy that becomes current only when published, leaving the old one for the assessments that used it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from risk.models import CatalogueVersion, Indicator, IndicatorCategory
from risk.selectors import (
    NoPublishedCatalogueError,
    catalogue_current,
    catalogue_indicators,
    indicators_by_codes,
)
from risk.services import (
    catalogue_draft_delete,
    catalogue_draft_from,
    catalogue_draft_update,
    catalogue_publish,
    indicator_add,
    indicator_category_add,
    indicator_category_remove,
    indicator_category_update,
    indicator_remove,
    indicator_update,
)

pytestmark = pytest.mark.django_db

DEFAULT_NAME = "Evolve default CSE and CCE screening tool"


def _snapshot(version: CatalogueVersion) -> dict[str, Any]:
    """Everything a reader of the version could see, straight from the database."""
    version.refresh_from_db()
    return {
        "version": (version.number, version.name, version.notes, version.published_at),
        "categories": list(
            IndicatorCategory.objects.filter(version=version).order_by("id").values_list("id", "code", "name", "order")
        ),
        "indicators": list(
            Indicator.objects.filter(category__version=version)
            .order_by("id")
            .values_list("id", "category_id", "code", "text", "guidance", "is_high_risk", "applies_to", "order")
        ),
    }


def _shape(version: CatalogueVersion) -> list[tuple[str, str, list[tuple[str, str, str, bool, str]]]]:
    """The catalogue as a form would render it, without database ids."""
    return [
        (
            group.code,
            group.name,
            [(i.code, i.text, i.guidance, i.is_high_risk, i.applies_to) for i in group.indicators],
        )
        for group in catalogue_indicators(version=version)
    ]


def _indicator(version: CatalogueVersion, code: str) -> Indicator:
    return Indicator.objects.select_related("category").get(category__version=version, code=code)


def test_the_default_catalogue_is_published_and_current() -> None:
    current = catalogue_current()
    groups = catalogue_indicators(version=current)

    assert current.number == 1
    assert current.name == DEFAULT_NAME
    assert current.is_published
    assert len(groups) >= 7
    assert all(3 <= len(group.indicators) <= 6 for group in groups)
    assert groups[0].name == "Missing and absence"
    indicators = [indicator for group in groups for indicator in group.indicators]
    assert all(indicator.guidance for indicator in indicators)
    high_risk = {indicator.code for indicator in indicators if indicator.is_high_risk}
    assert {"missing-repeatedly", "sti-or-pregnancy-under-16", "hotels-cars-unknown-adults", "carrying-for-others"} <= (
        high_risk
    )
    assert "substance-misuse" not in high_risk
    assert {indicator.applies_to for indicator in indicators} == {"cse", "cce", "both"}


def test_without_a_published_version_the_current_catalogue_is_a_clear_error() -> None:
    CatalogueVersion.objects.update(published_at=None)
    with pytest.raises(NoPublishedCatalogueError, match="No version of the screening catalogue is published"):
        catalogue_current()


def test_a_form_can_show_only_the_sexual_or_the_criminal_exploitation_indicators() -> None:
    version = catalogue_current()
    cse = [i for group in catalogue_indicators(version=version, concern="cse") for i in group.indicators]
    cce = [i for group in catalogue_indicators(version=version, concern="cce") for i in group.indicators]

    assert {i.applies_to for i in cse} == {"cse", "both"}
    assert {i.applies_to for i in cce} == {"cce", "both"}
    assert "carrying-for-others" not in {i.code for i in cse}
    assert "sexual-images" not in {i.code for i in cce}


def test_a_draft_copies_every_category_and_indicator() -> None:
    original = catalogue_current()
    draft = catalogue_draft_from(version=original, by_name="Ada Minister")

    assert draft.number == 2
    assert not draft.is_published
    assert draft.based_on == original
    assert draft.created_by_name == "Ada Minister"
    assert _shape(draft) == _shape(original)
    assert catalogue_current() == original  # a draft is not used until it is published
    copied_ids = set(Indicator.objects.filter(category__version=draft).values_list("id", flat=True))
    original_ids = set(Indicator.objects.filter(category__version=original).values_list("id", flat=True))
    assert copied_ids and not copied_ids & original_ids


def test_changing_a_draft_leaves_the_version_it_was_copied_from_alone() -> None:
    original = catalogue_current()
    before = _snapshot(original)
    draft = catalogue_draft_from(version=original)

    indicator_update(indicator=_indicator(draft, "missing-episodes"), changes={"text": "Reworded", "order": 9})
    indicator_remove(indicator=_indicator(draft, "looked-after"))
    indicator_add(
        category=_indicator(draft, "self-harm").category,
        code="young-carer",
        text="Is a young carer",
        guidance="Caring responsibilities can leave a child unsupervised.",
        is_high_risk=False,
        applies_to="both",
    )
    indicator_category_update(category=_indicator(draft, "drug-debt").category, changes={"name": "Drink and drugs"})
    catalogue_draft_update(version=draft, changes={"name": "Our area's tool"})

    assert _snapshot(original) == before
    assert _indicator(draft, "missing-episodes").text == "Reworded"


REFUSED_CHANGES = [
    "add an indicator",
    "reword an indicator",
    "mark an indicator high risk",
    "remove an indicator",
    "add a category",
    "rename a category",
    "remove a category",
    "rename the version",
    "delete the version",
]


def _attempts(version: CatalogueVersion) -> dict[str, Callable[[], object]]:
    category = IndicatorCategory.objects.filter(version=version).first()
    indicator = Indicator.objects.filter(category__version=version).first()
    assert category is not None and indicator is not None
    return {
        "add an indicator": lambda: indicator_add(
            category=category,
            code="new-indicator",
            text="A new question",
            guidance="",
            is_high_risk=True,
            applies_to="cse",
        ),
        "reword an indicator": lambda: indicator_update(indicator=indicator, changes={"text": "Reworded"}),
        "mark an indicator high risk": lambda: indicator_update(indicator=indicator, changes={"is_high_risk": True}),
        "remove an indicator": lambda: indicator_remove(indicator=indicator),
        "add a category": lambda: indicator_category_add(version=version, code="new", name="New"),
        "rename a category": lambda: indicator_category_update(category=category, changes={"name": "Renamed"}),
        "remove a category": lambda: indicator_category_remove(category=category),
        "rename the version": lambda: catalogue_draft_update(version=version, changes={"name": "Renamed"}),
        "delete the version": lambda: catalogue_draft_delete(version=version),
    }


@pytest.mark.parametrize("change", REFUSED_CHANGES)
def test_a_published_version_cannot_be_changed(change: str) -> None:
    version = catalogue_current()
    before = _snapshot(version)
    attempts = _attempts(version)
    assert set(attempts) == set(REFUSED_CHANGES)

    with pytest.raises(ValidationError, match="published and cannot be changed") as refused:
        attempts[change]()

    assert "Make a new draft from it" in " ".join(refused.value.messages)
    assert _snapshot(version) == before


def test_publishing_makes_the_draft_current_and_the_old_version_stays_as_it_was() -> None:
    first = catalogue_current()
    before = _snapshot(first)
    draft = catalogue_draft_from(version=first)
    indicator_update(indicator=_indicator(draft, "missing-episodes"), changes={"text": "Goes missing, reworded"})
    indicator_remove(indicator=_indicator(draft, "looked-after"))

    published = catalogue_publish(version=draft)

    assert published.is_published
    assert catalogue_current() == draft
    assert _snapshot(first) == before
    # An assessment made with version 1 keeps reading version 1: its wording, and the indicator since dropped.
    kept = indicators_by_codes(version=first, codes=["missing-episodes", "looked-after"])
    assert [i.code for i in kept] == ["missing-episodes", "looked-after"]
    assert kept[0].text.startswith("Goes missing from home or care")
    assert "looked-after" in {i.code for group in catalogue_indicators(version=first) for i in group.indicators}
    assert "looked-after" not in {i.code for group in catalogue_indicators(version=draft) for i in group.indicators}
    with pytest.raises(ValidationError, match="Not in version 2 of the screening catalogue: looked-after"):
        indicators_by_codes(version=draft, codes=["looked-after"])


def test_a_version_cannot_be_published_twice() -> None:
    version = catalogue_current()
    published_at = version.published_at

    with pytest.raises(ValidationError, match="Version 1 of the screening catalogue was already published"):
        catalogue_publish(version=version)

    version.refresh_from_db()
    assert version.published_at == published_at


def test_an_empty_draft_cannot_be_published() -> None:
    draft = catalogue_draft_from(version=catalogue_current())
    for category in IndicatorCategory.objects.filter(version=draft):
        indicator_category_remove(category=category)

    with pytest.raises(ValidationError, match="Version 2 has no indicators"):
        catalogue_publish(version=draft)

    draft.refresh_from_db()
    assert not draft.is_published
    assert catalogue_current().number == 1


def test_a_draft_with_an_empty_category_cannot_be_published() -> None:
    draft = catalogue_draft_from(version=catalogue_current())
    indicator_category_add(version=draft, code="family", name="Family and home")

    with pytest.raises(ValidationError, match="categories with no indicators: Family and home"):
        catalogue_publish(version=draft)

    assert catalogue_current().number == 1


def test_an_older_draft_cannot_be_published_over_a_newer_version() -> None:
    first = catalogue_current()
    older = catalogue_draft_from(version=first)
    newer = catalogue_draft_from(version=first)
    catalogue_publish(version=newer)

    with pytest.raises(ValidationError, match="Version 2 is older than version 3"):
        catalogue_publish(version=older)

    assert catalogue_current() == newer


def test_an_indicator_code_is_unique_across_the_whole_version() -> None:
    draft = catalogue_draft_from(version=catalogue_current())
    other_category = _indicator(draft, "self-harm").category

    with pytest.raises(ValidationError) as duplicate:
        indicator_add(
            category=other_category,
            code="missing-episodes",
            text="Again",
            guidance="",
            is_high_risk=False,
            applies_to="both",
        )
    with pytest.raises(ValidationError) as malformed:
        indicator_add(
            category=other_category, code="Not A Slug", text=" ", guidance="", is_high_risk=False, applies_to="all"
        )

    assert duplicate.value.message_dict == {
        "code": ["Version 2 already has an indicator with the code missing-episodes"]
    }
    assert set(malformed.value.message_dict) == {"code", "text", "applies_to"}


def test_indicators_by_codes_come_back_in_catalogue_order() -> None:
    version = catalogue_current()

    found = indicators_by_codes(version=version, codes=["self-harm", "missing-episodes", "older-partner", "self-harm"])

    assert [i.code for i in found] == ["missing-episodes", "older-partner", "self-harm"]
    assert indicators_by_codes(version=version, codes=[]) == []
    with pytest.raises(ValidationError, match="Not in version 1 of the screening catalogue: made-up"):
        indicators_by_codes(version=version, codes=["missing-episodes", "made-up"])
