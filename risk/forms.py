"""Forms for the risk assessment pages. The services check the rules (every indicator answered, the details of a
present one, the dates); these check the shapes and give each answer a field named as the service names its errors
("answer-<code>", "seen-<code>", "evidence-<code>", "source-<code>"), so a refusal lands beside the right field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone

from evolve.accounts.selectors import AgencyGroups
from evolve.ui.forms import DateField
from evolve.ui.templatetags.govuk import first_input_id
from risk.models import Answer, CinFactor, Indicator, Seen
from risk.selectors import IndicatorCategoryWithIndicators
from risk.services import AnswerInput


@dataclass(frozen=True)
class IndicatorFields:
    """One indicator's question and its four fields, for the template."""

    indicator: Indicator
    answer: forms.BoundField
    seen: forms.BoundField
    evidence: forms.BoundField
    source: forms.BoundField

    @property
    def is_present(self) -> bool:
        return self.answer.value() == Answer.PRESENT

    @property
    def has_detail_errors(self) -> bool:
        return bool(self.seen.errors or self.evidence.errors or self.source.errors)


@dataclass(frozen=True)
class CategoryFields:
    name: str
    code: str
    indicators: list[IndicatorFields]


class AssessmentForm(forms.Form):
    """A screening of every indicator of one catalogue version, then the census factors, the analysis and the
    dates. Fields are made from the catalogue, so an area's own tool needs no code."""

    cin_factors = forms.MultipleChoiceField(
        label="Children in Need census factors identified",
        choices=CinFactor.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Select all that the assessment identified. They go into the census return as recorded here.",
    )
    summary = forms.CharField(
        label="Summary of the assessment",
        widget=forms.Textarea,
        required=False,
        help_text="The practitioners' analysis: what the indicators mean together, and what the child and family say",
    )
    assessed_on = DateField(label="Date of the assessment", help_text="For example, 27 3 2026")
    next_review_on = DateField(
        label="Next review date",
        required=False,  # the service says why it is needed, beside the other answers' errors
        help_text="Every child open to Evolve has a next review date. For example, 27 6 2026",
    )

    def __init__(
        self,
        *args: Any,
        groups: Sequence[IndicatorCategoryWithIndicators],
        agencies: AgencyGroups,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.groups = list(groups)
        self.agencies = agencies
        agency_choices = [("", "Choose an agency"), *agencies]
        for group in self.groups:
            for indicator in group.indicators:
                code = indicator.code
                self.fields[f"answer-{code}"] = forms.ChoiceField(
                    label=indicator.text,
                    choices=Answer.choices,
                    widget=forms.RadioSelect,
                    required=False,  # the service refuses an unanswered indicator, with the others' errors
                    initial=Answer.UNKNOWN,
                    help_text=indicator.guidance,
                )
                self.fields[f"seen-{code}"] = forms.ChoiceField(
                    label="When was it last seen?", choices=Seen.choices, widget=forms.RadioSelect, required=False
                )
                self.fields[f"evidence-{code}"] = forms.CharField(
                    label="Evidence",
                    widget=forms.Textarea,
                    required=False,
                    help_text="What was seen or heard, when, and by whom",
                )
                self.fields[f"source-{code}"] = forms.ChoiceField(
                    label="Source agency", choices=agency_choices, required=False
                )
        if not self.is_bound:
            self.initial.setdefault("assessed_on", timezone.localdate())

    def sections(self) -> list[CategoryFields]:
        return [
            CategoryFields(
                name=group.name,
                code=group.code,
                indicators=[
                    IndicatorFields(
                        indicator=indicator,
                        answer=self[f"answer-{indicator.code}"],
                        seen=self[f"seen-{indicator.code}"],
                        evidence=self[f"evidence-{indicator.code}"],
                        source=self[f"source-{indicator.code}"],
                    )
                    for indicator in group.indicators
                ],
            )
            for group in self.groups
        ]

    def error_summary(self) -> list[dict[str, str]]:
        """The error summary's entries, as `govuk_error_summary` makes them, with the indicator named in front of an
        indicator's error: among dozens of indicators, "Say when it was last seen" alone does not say which."""
        entries = [{"message": str(message), "href": ""} for message in self.non_field_errors()]
        indicators = {indicator.code: indicator for group in self.groups for indicator in group.indicators}
        for name, messages in self.errors.items():
            if name == NON_FIELD_ERRORS:
                continue
            kind, _, code = name.partition("-")
            indicator = indicators.get(code) if kind in ("answer", "seen", "evidence", "source") else None
            for message in map(str, messages):
                text = f"{indicator.text}: {message[:1].lower()}{message[1:]}" if indicator else message
                entries.append({"message": text, "href": f"#{first_input_id(self[name])}"})
        return entries

    def answer_inputs(self) -> list[AnswerInput]:
        """What the service takes. The details under "Present" count only for a present indicator: with the answer
        changed, they were hidden from the user, so they are not an answer (they stay on the form if it is shown
        again)."""
        data = self.cleaned_data
        answers = []
        for group in self.groups:
            for indicator in group.indicators:
                code = indicator.code
                answer = data.get(f"answer-{code}") or ""
                present = answer == Answer.PRESENT
                source = data.get(f"source-{code}") or ""
                answers.append(
                    AnswerInput(
                        code=code,
                        answer=answer,
                        seen=data.get(f"seen-{code}", "") if present else "",
                        evidence=data.get(f"evidence-{code}", "") if present else "",
                        source_agency_id=int(source) if present and source else None,
                    )
                )
        return answers

    def next_review(self) -> date | None:
        value: date | None = self.cleaned_data.get("next_review_on")
        return value


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label="Your oversight",
        widget=forms.Textarea,
        required=False,  # the service says what to write
        help_text="What you checked, whether you agree with the analysis, and anything to follow up",
    )
