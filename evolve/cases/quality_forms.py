"""Forms of the monthly quality assurance sample: assigning audits, and the audit itself. The services validate what
an audit needs to be complete; these only read what was posted."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from evolve.accounts.models import User
from evolve.cases.models import AUDIT_CHECKS, AuditAnswer, AuditGrade, CaseAudit


class AssignForm(forms.Form):
    audits = forms.MultipleChoiceField(
        label="Children whose audit to assign",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one child whose audit to assign"},
    )
    auditor = forms.ChoiceField(label="Auditor", error_messages={"required": "Choose the auditor"})

    def __init__(self, *args: Any, audits: list[CaseAudit], auditors: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audits_offered = {str(audit.public_id): audit for audit in audits}
        self.auditors_offered = {str(person.pk): person for person in auditors}
        cast(forms.ChoiceField, self.fields["audits"]).choices = [
            (
                key,
                f"{audit.case.child.full_name}"
                + (f" (now {audit.assigned_to.display_name})" if audit.assigned_to else ""),
            )
            for key, audit in self.audits_offered.items()
        ]
        cast(forms.ChoiceField, self.fields["auditor"]).choices = [("", "Choose the auditor")] + [
            (key, f"{person.display_name}" + (f", {person.agency.short_name}" if person.agency else ""))
            for key, person in self.auditors_offered.items()
        ]
        self.fields["audits"].error_messages["invalid_choice"] = "Choose children from the list"
        self.fields["auditor"].error_messages["invalid_choice"] = "Choose the auditor from the list"

    def chosen_audits(self) -> list[CaseAudit]:
        return [self.audits_offered[key] for key in self.cleaned_data["audits"]]

    def chosen_auditor(self) -> User:
        return self.auditors_offered[self.cleaned_data["auditor"]]


class AuditForm(forms.Form):
    """The checklist (yes, no, not applicable), the grade, the findings and the actions. Nothing is required here: a
    draft may be saved part done, and the service says what completing needs."""

    grade = forms.ChoiceField(label="Grade", choices=AuditGrade.choices, required=False, widget=forms.RadioSelect)
    findings = forms.CharField(
        label="Findings",
        required=False,
        widget=forms.Textarea,
        help_text="The audit's report on the child's file: what is good, what is missing, and why the grade",
    )
    actions = forms.CharField(
        label="Actions",
        required=False,
        widget=forms.Textarea,
        help_text="What must happen, by whom and by when (needed unless the grade is good)",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        checks = {
            name: forms.ChoiceField(
                label=question, choices=AuditAnswer.choices, required=False, widget=forms.RadioSelect
            )
            for name, question, _ in AUDIT_CHECKS
        }
        # The checklist first, in the QA map's order, then the grade, findings and actions.
        self.fields = {**checks, **self.fields}
        for name in checks:
            self.fields[name].error_messages["invalid_choice"] = "Select yes, no or not applicable"
        self.fields["grade"].error_messages["invalid_choice"] = "Select the grade"

    @staticmethod
    def initial_for(audit: CaseAudit) -> dict[str, str]:
        initial = {name: getattr(audit, name) for name, _, _ in AUDIT_CHECKS}
        return {**initial, "grade": audit.grade, "findings": audit.findings, "actions": audit.actions}

    def answers(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name, _, _ in AUDIT_CHECKS}

    def check_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _, _ in AUDIT_CHECKS]
