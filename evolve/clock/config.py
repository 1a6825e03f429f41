"""The timescales, configurable per area in settings.EVOLVE_TIMESCALES and merged over these defaults.

A setting replaces only what it names: `{"rag_response": {"red": ("hours", 4)}}` shortens the red response and keeps
the amber and green defaults.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from evolve.clock.models import DeadlineKind, DeadlineUnit

Timescale = tuple[str, int]

RAG_RATINGS = ("red", "amber", "green")

DEFAULTS: dict[str, Any] = {
    DeadlineKind.NOTIFICATION.value: (DeadlineUnit.HOURS.value, 24),
    DeadlineKind.STRATEGY_DISCUSSION.value: (DeadlineUnit.HOURS.value, 24),
    DeadlineKind.RAG_RESPONSE.value: {
        "red": (DeadlineUnit.HOURS.value, 24),
        "amber": (DeadlineUnit.WORKING_DAYS.value, 3),
        "green": (DeadlineUnit.WORKING_DAYS.value, 10),
    },
}


def timescales() -> dict[str, Any]:
    """The settings merged over the defaults, read each time so that a change of settings (or a test's) applies."""
    configured: dict[str, Any] = getattr(settings, "EVOLVE_TIMESCALES", {}) or {}
    merged = dict(DEFAULTS)
    for kind, value in configured.items():
        if isinstance(value, dict) and isinstance(merged.get(kind), dict):
            merged[kind] = {**merged[kind], **value}
        else:
            merged[kind] = value
    return merged


def _checked(value: Any, where: str) -> Timescale:
    try:
        unit, amount = value
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f'EVOLVE_TIMESCALES{where} must be ("hours" or "working_days", amount)') from None
    if unit not in DeadlineUnit.values:
        raise ImproperlyConfigured(f'EVOLVE_TIMESCALES{where}: the unit must be "hours" or "working_days"')
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ImproperlyConfigured(f"EVOLVE_TIMESCALES{where}: the amount must be a whole number, 1 or more")
    return str(unit), amount


def timescale_for(kind: str, rag: str | None = None) -> Timescale:
    """(unit, amount) for a kind of deadline; the RAG response needs the rating. Raises ImproperlyConfigured for a
    kind with no timescale (reviews are set locally: there is no national default)."""
    configured = timescales()
    if kind not in configured:
        raise ImproperlyConfigured(f'No timescale for "{kind}": set EVOLVE_TIMESCALES["{kind}"]')
    value = configured[kind]
    if isinstance(value, dict):
        if rag not in RAG_RATINGS:
            raise ValueError(f'The "{kind}" timescale depends on the RAG rating: give one of {", ".join(RAG_RATINGS)}')
        if rag not in value:
            raise ImproperlyConfigured(f'No timescale for a {rag} "{kind}": set EVOLVE_TIMESCALES["{kind}"]["{rag}"]')
        return _checked(value[rag], f'["{kind}"]["{rag}"]')
    if rag is not None:
        raise ValueError(f'The "{kind}" timescale does not depend on a RAG rating')
    return _checked(value, f'["{kind}"]')
