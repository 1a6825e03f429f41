"""Form fields in the GOV.UK patterns."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, QueryDict


class DateInputWidget(forms.MultiWidget):
    """GOV.UK date input: day, month and year as three boxes."""

    template_name = "components/date_input_widget.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        widgets = [forms.TextInput(attrs={"inputmode": "numeric"}) for _ in range(3)]
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class DateField(forms.MultiValueField):
    widget = DateInputWidget

    def __init__(self, *, label: str, **kwargs: Any) -> None:
        self.label_text = label
        fields = (forms.CharField(), forms.CharField(), forms.CharField())
        super().__init__(fields, require_all_fields=False, label=label, **kwargs)
        self.error_messages["required"] = f"Enter the {label.lower()}"

    def clean(self, value: Any) -> date | None:
        parts = [str(part or "").strip() for part in (value or ["", "", ""])]
        if not any(parts):
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        names = ("day", "month", "year")
        missing = [name for name, part in zip(names, parts, strict=True) if not part]
        if missing:
            raise forms.ValidationError(
                f"{self.label_text} must include a {' and a '.join(missing)}", code="incomplete"
            )
        if not all(part.isdigit() for part in parts) or len(parts[2]) != 4:
            raise forms.ValidationError(f"{self.label_text} must be a real date", code="invalid")
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        except (ValueError, OverflowError):  # day 2147483648 overflows before it is found not to be a day
            raise forms.ValidationError(f"{self.label_text} must be a real date", code="invalid") from None

    def compress(self, data_list: list[Any]) -> Any:  # clean() above does the work
        return data_list


def posted_version(request: HttpRequest) -> int:
    """The version the user's page was based on; anything unreadable counts as a stale page (refused, not a 500)."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


# The fields people write sentences in, across the service's forms: what a refused step gives back to be used again.
WRITTEN_FIELDS = (
    "text",
    "words",
    "context",
    "reason",
    "question",
    "answer",
    "notes",
    "rationale",
    "advice",
    "outcome",
    "letter",
    "summary",
    "discussion",
    "comment",
)


def posted_texts(request: HttpRequest, names: tuple[str, ...] = WRITTEN_FIELDS) -> list[str]:
    """What the user wrote in a post that was refused before any form saw it (someone else moved the record on, so
    the step is no longer offered): given back on the page so nothing typed is lost."""
    return [text for name in names if (text := str(request.POST.get(name, "")).strip())]


def form_show_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal, shown on the form beside the field it names, or at the top if it names none."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def form_run_service(
    form: forms.Form, action: Callable[[], Any], refusals: tuple[type[Exception], ...]
) -> tuple[bool, str]:
    """Run a service for a valid form: (done, refusal). A service's field errors go on the form beside their fields;
    a refusal (one of `refusals`: a permission, a state, a stale version) goes at the top and is returned."""
    if not form.is_valid():
        return False, ""
    try:
        action()
    except ValidationError as error:
        form_show_service_errors(form, error)
        return False, ""
    except refusals as refusal:
        form.add_error(None, str(refusal))
        return False, str(refusal)
    return True, ""


_CLOCK_TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


def clock_time(value: str, *, example: str = "14:30") -> time:
    """A time of day as people type it (14:30, 9.05), or a form error asking for it like `example`."""
    match = _CLOCK_TIME.fullmatch(value.strip())
    if not match:
        raise forms.ValidationError(f"Enter the time like {example}")
    return time(int(match.group(1)), int(match.group(2)))


class RefusesStaleChanges(forms.ModelForm):  # type: ignore[type-arg]
    """A change form (the admin's) that will not overwrite, unseen, a value someone else changed since it was opened.

    Each field carries the value the page showed (Django's hidden initial inputs). A field this person changed
    whose stored value is no longer the one their page showed was changed meanwhile: it is refused beside the field,
    saying what it says now, and what they typed stays in the form. Fields they left alone are not saved, so an edit
    to another field never undoes someone else's (the admin saves only `changed_data`). A post without the hidden
    values (a script, not the page) is not checked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for field in self.fields.values():
                field.show_hidden_initial = True

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.instance.pk is None or not self.is_bound:
            return cleaned
        seen_now: dict[str, str] = {}
        for name in self.changed_data:
            field = self.fields[name]
            shown_name = self.add_initial_prefix(name)
            if shown_name not in self.data:
                continue
            shown = _one_newline(field.hidden_widget().value_from_datadict(self.data, self.files, shown_name))
            stored = _one_newline(self.get_initial_for_field(field, name))
            typed = _one_newline(field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name)))
            if field.has_changed(stored, shown) and field.has_changed(stored, typed):
                self.add_error(
                    name,
                    f"Someone else changed this while you were editing: it now says \u201c{_shown(field, stored)}"
                    "\u201d. What you typed is below: check theirs, then save again",
                )
                prepared = field.prepare_value(stored)
                seen_now[shown_name] = "" if prepared is None else str(prepared)
        if seen_now:
            # The page rendered again shows the stored value as the one seen, so saving again from it goes in.
            data: dict[str, Any] | QueryDict = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
            for shown_name, value in seen_now.items():
                data[shown_name] = value  # replaces (QueryDict.update would append)
            self.data = data
        return cleaned


def _one_newline(value: Any) -> Any:
    """A browser sends a text's line breaks as CRLF; what was stored may have bare LF. The same text either way."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def _shown(field: forms.Field, value: Any) -> str:
    """A stored value as the form shows it: a choice's label, a record's name, yes or no; "(blank)" for nothing."""
    if value in (None, ""):
        return "(blank)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
        found = field.queryset.filter(pk=getattr(value, "pk", value)).first()
        return str(found) if found is not None else str(value)
    labels = {str(key): label for key, label in getattr(field, "choices", [])}
    return str(labels.get(str(value), value))
