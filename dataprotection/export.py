"""The two files of a subject access export, made from one snapshot of the content so they say the same thing: a PDF
to read (WeasyPrint, like the meeting minutes) and a JSON file for a machine (UTF-8, dates in ISO 8601).

The PDF is drawn from the content by one generic renderer rather than a template per record type, so every record
type the content holds is in both files, and a field added to a `subject_access_*` selector reaches both at once.
Everything is escaped: a child's or a practitioner's text can never become markup.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dataprotection.selectors import SECTIONS

FORMAT_VERSION = 1
SCOPE = (
    "Everything the organisation holds about this child in Evolve, made for the data controller by a manager: every "
    "record type, including records restricted to one agency (police intelligence, health clinical notes). Another "
    "child is never named: a meeting gives only this child's part, and a link to another child says 'Another child'. "
    "Free text is as it was recorded: review it for other people's information before disclosing it to the requester. "
    "Attached files are listed, not included; they are kept in private storage."
)

# Labels that the field's name does not spell well on its own.
LABELS = {
    "id": "Reference",
    "childs_own_words": "Child's own words",
    "other_agencies_references": "Other agencies' references",
    "aged_13_or_under_with_a_high_risk_indicator": "Aged 13 or under with a high-risk indicator",
    "sha256": "SHA-256",
    "for_the_intelligence_sharing_meeting": "For the Intelligence Sharing Meeting",
    "first_rag_rating": "First RAG rating",
    "first_rag_rationale": "First RAG rationale",
    "second_rag_rating": "Second RAG rating",
    "second_rag_rationale": "Second RAG rationale",
    "mash_checks": "MASH checks",
}
NOTHING = "Not recorded"
# A list of records whose fields are all short values, and no more than this many, is drawn as a table.
TABLE_COLUMNS = 7
# Longer than this, such a list is drawn one line per record instead.
LONG_LIST = 60


def label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def _scalar(value: Any) -> str:
    if value is None or value == "":
        return NOTHING
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "j F Y, H:i")
    if isinstance(value, date):
        return date_format(value, "j F Y")
    return str(value)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def as_html(value: Any) -> SafeString:
    """Any value of the content as escaped HTML: a record as a table of its short fields followed by its lists, each
    under its own heading at full width; a list of records as a table (when their fields are short) or as numbered
    records; a list of words as bullets."""
    if isinstance(value, dict):
        if not value:
            return format_html('<p class="none">{}</p>', NOTHING)
        short = [(label(k), _cell(v)) for k, v in value.items() if _is_scalar(v)]
        rows = format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', short)
        table = format_html('<table class="record"><tbody>{}</tbody></table>', rows) if short else SafeString()
        nested = format_html_join(
            "",
            '<div class="part"><p class="part-title">{}</p>{}</div>',
            ((label(k), as_html(v)) for k, v in value.items() if not _is_scalar(v)),
        )
        return format_html("{}{}", table, nested)
    if isinstance(value, list):
        if not value:
            return format_html('<p class="none">{}</p>', "None")
        if all(isinstance(row, dict) for row in value):
            keys = list(value[0].keys())
            tabular = len(keys) <= TABLE_COLUMNS and all(
                list(row.keys()) == keys and all(_is_scalar(v) for v in row.values()) for row in value
            )
            if tabular and len(value) > LONG_LIST:
                # One line per record: a table of thousands of rows (a long access log) takes WeasyPrint minutes.
                order = format_html('<p class="count">Each line: {}</p>', " · ".join(label(k) for k in keys))
                lines = format_html_join(
                    "",
                    '<p class="line">{}</p>',
                    ((format_html_join(" · ", "{}", ((_scalar(row[k]),) for k in keys)),) for row in value),
                )
                return format_html("{}{}", order, lines)
            if tabular:
                head = format_html_join("", '<th scope="col">{}</th>', ((label(k),) for k in keys))
                body = format_html_join(
                    "",
                    "<tr>{}</tr>",
                    ((format_html_join("", "<td>{}</td>", ((_cell(row[k]),) for k in keys)),) for row in value),
                )
                return format_html(
                    '<table class="rows"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body
                )
            total = len(value)
            return format_html_join(
                "",
                '<div class="item"><p class="count">{} of {}</p>{}</div>',
                ((number, total, as_html(row)) for number, row in enumerate(value, start=1)),
            )
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((_cell(v),) for v in value)))
    return _cell(value)


def _cell(value: Any) -> SafeString:
    if _is_scalar(value):
        text = _scalar(value)
        if "\n" in text:
            return format_html('<span class="pre">{}</span>', text)
        return format_html("{}", text)
    return as_html(value)


def render_json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode("utf-8")


def render_pdf(content: dict[str, Any]) -> bytes:
    about = content["export"]
    sections = [{"key": key, "title": title, "body": as_html(content.get(key))} for key, title in SECTIONS]
    html = render_to_string(
        "dataprotection/export_pdf.html",
        {"about": about, "child": content["child"], "sections": sections, "scope": SCOPE},
    )
    # Imported here: WeasyPrint parses its default stylesheets on import (see meetings.minutes).
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
