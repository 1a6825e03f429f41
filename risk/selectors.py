"""Reading the screening catalogue. Public: other apps (the referral form, risk assessments) import only these and
`risk.services`.

The catalogue is reference data, not a child's record, so these reads are neither gated nor audited. A form or an
assessment should hold on to the version it used (a foreign key to `CatalogueVersion`) and read that version's
indicators through `catalogue_indicators`, never "the current ones": a later version may word, add or drop them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from risk.models import CatalogueVersion, Indicator, IndicatorCategory


class NoPublishedCatalogueError(LookupError):
    """No version of the screening catalogue has been published, so there is nothing to screen against."""


@dataclass(frozen=True)
class IndicatorCategoryWithIndicators:
    """One heading of a screening form and its questions, in order."""

    category: IndicatorCategory
    indicators: tuple[Indicator, ...]

    @property
    def code(self) -> str:
        return self.category.code

    @property
    def name(self) -> str:
        return self.category.name


def catalogue_current() -> CatalogueVersion:
    """The version new referrals and assessments use: the published one with the highest number."""
    version = CatalogueVersion.objects.filter(published_at__isnull=False).order_by("-number").first()
    if version is None:
        raise NoPublishedCatalogueError(
            "No version of the screening catalogue is published. An administrator must publish one "
            "(the default catalogue is loaded by the risk app's migrations)."
        )
    return version


def catalogue_indicators(
    *, version: CatalogueVersion, concern: str | None = None
) -> list[IndicatorCategoryWithIndicators]:
    """A version's indicators grouped under their categories, both in order: what a form renders as grouped
    checkboxes. One query whatever the size of the catalogue. A category with no indicators (only possible in a
    draft) is left out.

    `concern` narrows it to the indicators for sexual (`cse`) or criminal (`cce`) exploitation, each with the
    indicators that apply to both; without it (or with `both`), every indicator."""
    indicators = Indicator.objects.filter(category__version=version).select_related("category")
    if concern in (Indicator.AppliesTo.CSE, Indicator.AppliesTo.CCE):
        indicators = indicators.filter(applies_to__in=[concern, Indicator.AppliesTo.BOTH])
    groups: dict[int, list[Indicator]] = {}
    for indicator in indicators.order_by("category__order", "category_id", "order", "id"):
        groups.setdefault(indicator.category_id, []).append(indicator)
    return [
        IndicatorCategoryWithIndicators(category=members[0].category, indicators=tuple(members))
        for members in groups.values()
    ]


def indicators_by_codes(*, version: CatalogueVersion, codes: Iterable[str]) -> list[Indicator]:
    """The indicators of `version` with these codes, in catalogue order, each with its category. One query.

    A code the version does not have is refused (ValidationError keyed "indicators") rather than dropped: a
    screening that silently lost an answer would understate the risk to the child."""
    if isinstance(codes, str):
        raise TypeError("codes is a collection of indicator codes, not one code")
    wanted = set(codes)
    if not wanted:
        return []
    found = list(
        Indicator.objects.filter(category__version=version, code__in=wanted)
        .select_related("category")
        .order_by("category__order", "category_id", "order", "id")
    )
    missing = wanted - {indicator.code for indicator in found}
    if missing:
        raise ValidationError(
            {"indicators": f"Not in version {version.number} of the screening catalogue: {', '.join(sorted(missing))}"}
        )
    return found
