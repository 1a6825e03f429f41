"""The referral state machine, in one place: each state, the transitions allowed from it, and who may take each.

Services (referrals.services) are the only code that changes a referral's state, and each goes through
`transition_check` first, so a step from the wrong state or by the wrong role is refused and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from evolve.accounts.roles import Role


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Received by SPOC"
    AWAITING_CLARIFICATION = "awaiting_clarification", "Waiting for the referrer"
    LOGGED = "logged", "Logged, waiting for triage"
    SCREENED = "screened", "Screened, waiting for the triage manager"
    WITH_MASH = "with_mash", "With the MASH"
    CO_ALLOCATED = "co_allocated", "Co-allocated to Evolve"
    DECIDED = "decided", "Decided by Evolve"
    CLOSED = "closed", "Closed"


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]  # empty: only the referrer who wrote the referral


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("submit", "Submit the referral", frozenset({State.DRAFT}), State.SUBMITTED, frozenset()),
        Transition(
            "refer_to_evolve",
            "Refer straight to Evolve",
            frozenset({State.DRAFT}),
            State.CO_ALLOCATED,
            frozenset({Role.CASE_HOLDING_SOCIAL_WORKER}),
        ),
        Transition(
            "ask_clarification",
            "Ask the referrer to clarify",
            frozenset({State.SUBMITTED}),
            State.AWAITING_CLARIFICATION,
            frozenset({Role.SPOC_WORKER}),
        ),
        Transition(
            "record_clarification",
            "Record the referrer's answer",
            frozenset({State.AWAITING_CLARIFICATION}),
            State.SUBMITTED,
            frozenset({Role.SPOC_WORKER}),
        ),
        Transition("log", "Log the contact", frozenset({State.SUBMITTED}), State.LOGGED, frozenset({Role.SPOC_WORKER})),
        Transition(
            "screen", "Record the screening", frozenset({State.LOGGED}), State.SCREENED, frozenset({Role.TRIAGE_WORKER})
        ),
        Transition(
            "send_to_mash",
            "Send to the MASH",
            frozenset({State.SCREENED}),
            State.WITH_MASH,
            frozenset({Role.TRIAGE_MANAGER}),
        ),
        Transition(
            "close_at_triage",
            "Close with an outcome",
            frozenset({State.SCREENED}),
            State.CLOSED,
            frozenset({Role.TRIAGE_MANAGER}),
        ),
        Transition(
            "co_allocate",
            "Co-allocate to Evolve",
            frozenset({State.WITH_MASH}),
            State.CO_ALLOCATED,
            frozenset({Role.MASH_WORKER}),
        ),
        # The daily review's decision: agreed by the team manager and the detective sergeant, or made by the
        # service manager a disagreement was escalated to (evolve.cases.services decides which; this says who may).
        Transition(
            "evolve_decide",
            "Record the Evolve decision",
            frozenset({State.CO_ALLOCATED}),
            State.DECIDED,
            frozenset({Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT, Role.SERVICE_MANAGER}),
        ),
        Transition(
            "close_at_mash",
            "Close with an outcome",
            frozenset({State.WITH_MASH}),
            State.CLOSED,
            frozenset({Role.MASH_WORKER}),
        ),
    ]
}


class TransitionRefused(Exception):
    """A step not allowed from this state or for this person. The message says why, for the user."""


def transitions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]


def may_take(*, transition: Transition, roles: list[str], is_referrer: bool) -> bool:
    if not transition.roles:
        return is_referrer
    return any(role in transition.roles for role in roles)


def transition_check(*, name: str, state: str, roles: list[str], is_referrer: bool) -> Transition:
    transition = TRANSITIONS[name]
    if state not in transition.sources:
        raise TransitionRefused(
            f"“{transition.label}” cannot be done now: the referral is {State(state).label.lower()}"
        )
    if not may_take(transition=transition, roles=roles, is_referrer=is_referrer):
        who = (
            "the person who wrote the referral"
            if not transition.roles
            else ", ".join(sorted(Role(role).label for role in transition.roles))
        )
        raise TransitionRefused(f"Only {who} can “{transition.label.lower()}”")
    return transition
