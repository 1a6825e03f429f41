"""The level a screening suggests. Pure: answers in, suggestion out, so it is tested on its own and the rule is in
one place. Professional judgement stands over it (the meeting agrees the level, with its rationale); the suggestion
is there so nobody starts from a blank page or overlooks a high-risk sign.

The rule, as shown to practitioners beside the suggestion:
- A high-risk indicator present now or within six months suggests high risk on its own.
- Otherwise points: a present indicator seen now scores 2 (3 if high-risk), within six months 1 (2), earlier 0 (1).
  10 or more suggests high, 5 or more medium, anything present low, nothing present no apparent risk.
- A child aged 13 or under with any high-risk indicator present, however long ago, is flagged whatever the score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from risk.models import Answer, RiskLevel, Seen

YOUNG_CHILD_AGE = 13
HIGH_POINTS = 10
MEDIUM_POINTS = 5
_POINTS = {  # (seen, is_high_risk) -> points
    (Seen.CURRENT, False): 2,
    (Seen.CURRENT, True): 3,
    (Seen.WITHIN_SIX_MONTHS, False): 1,
    (Seen.WITHIN_SIX_MONTHS, True): 2,
    (Seen.EARLIER, False): 0,
    (Seen.EARLIER, True): 1,
}
RULE_TEXT = (
    "A high-risk indicator present now or in the last six months suggests high risk on its own. Otherwise each "
    "present indicator scores by how recently it was seen (now 2, within six months 1, earlier 0; one more for a "
    "high-risk indicator): 10 or more suggests high, 5 or more medium, anything present low."
)


@dataclass(frozen=True)
class ScreenedAnswer:
    answer: str
    seen: str
    is_high_risk: bool


@dataclass(frozen=True)
class Suggestion:
    level: str
    score: int
    young_child_high_risk: bool
    unknown: int


def suggest(answers: Iterable[ScreenedAnswer], *, age: int | None) -> Suggestion:
    answers = list(answers)
    present = [a for a in answers if a.answer == Answer.PRESENT]
    unknown = sum(1 for a in answers if a.answer == Answer.UNKNOWN)
    score = sum(_POINTS[(Seen(a.seen), a.is_high_risk)] for a in present)
    recent_high = any(a.is_high_risk and a.seen != Seen.EARLIER for a in present)
    if recent_high or score >= HIGH_POINTS:
        level = RiskLevel.HIGH
    elif score >= MEDIUM_POINTS:
        level = RiskLevel.MEDIUM
    elif present:
        level = RiskLevel.LOW
    else:
        level = RiskLevel.NO_APPARENT_RISK
    young = age is not None and age <= YOUNG_CHILD_AGE and any(a.is_high_risk for a in present)
    return Suggestion(level=level.value, score=score, young_child_high_risk=young, unknown=unknown)
