"""Template components for GOV.UK Frontend patterns: `{% govuk_field form.name %}`, `{% govuk_error_summary form %}`.

One template per pattern in templates/components/, chosen by the field's widget."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.core.exceptions import NON_FIELD_ERRORS

from evolve.ui.forms import DateInputWidget

register = template.Library()


def _kind(widget: forms.Widget) -> str:
    if isinstance(widget, DateInputWidget):
        return "date"
    if isinstance(widget, forms.CheckboxSelectMultiple):  # before RadioSelect: Django makes it a subclass of it
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


def first_input_id(field: forms.BoundField) -> str:
    kind = _kind(field.field.widget)
    if kind in ("date", "radios", "checkboxes"):
        return f"{field.auto_id}_0"
    return str(field.auto_id)


@register.inclusion_tag("components/field.html")
def govuk_field(
    field: forms.BoundField, width: str = "", label_size: str = "", page_heading: bool = False
) -> dict[str, Any]:
    kind = _kind(field.field.widget)
    return {
        "field": field,
        "kind": kind,
        "width": width,
        "label_size": label_size,
        "page_heading": page_heading,
        "error_id": f"{field.auto_id}-error",
        "hint_id": f"{field.auto_id}-hint",
        "first_id": first_input_id(field),
        "date_parts": _date_parts(field) if kind == "date" else [],
    }


def _date_parts(field: forms.BoundField) -> list[dict[str, Any]]:
    value = field.value()
    if not isinstance(value, (list, tuple)):
        value = field.field.widget.decompress(value)
    names = (("day", "Day", "2"), ("month", "Month", "2"), ("year", "Year", "4"))
    return [
        {
            "name": f"{field.html_name}_{index}",
            "id": f"{field.auto_id}_{index}",
            "label": label,
            "width": width,
            "value": "" if value[index] is None else value[index],
        }
        for index, (_, label, width) in enumerate(names)
    ]


@register.inclusion_tag("components/error_summary.html")
def govuk_error_summary(*forms_: forms.Form) -> dict[str, Any]:
    errors: list[dict[str, str]] = []
    for form in forms_:
        if form is None or not form.is_bound:
            continue
        for message in form.non_field_errors():
            errors.append({"message": str(message), "href": ""})
        for name, messages in form.errors.items():
            if name == NON_FIELD_ERRORS:
                continue
            bound = form[name]
            errors.extend({"message": str(message), "href": f"#{first_input_id(bound)}"} for message in messages)
    return {"errors": errors}
