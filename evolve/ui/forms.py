"""Form fields in the GOV.UK patterns."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest


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
        except ValueError:
            raise forms.ValidationError(f"{self.label_text} must be a real date", code="invalid") from None

    def compress(self, data_list: list[Any]) -> Any:  # clean() above does the work
        return data_list


def posted_version(request: HttpRequest) -> int:
    """The version the user's page was based on; anything unreadable counts as a stale page (refused, not a 500)."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


def form_show_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal, shown on the form beside the field it names, or at the top if it names none."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)
