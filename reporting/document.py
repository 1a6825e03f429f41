"""The report's two files, drawn from its content (reporting.content): a PDF (WeasyPrint) and a CSV of the same figures.

`sections()` arranges the content for a page or the PDF: the three Outcome Based Accountability questions in order,
each measure with its chart, its rate written out and its direction of travel. The report's page uses it too.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from reporting.charts import trend_chart
from reporting.measures import Section

CSV_HEADER = ["month", "section", "measure", "measure_title", "line", "label", "count", "denominator", "percent"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ShownMeasure:
    data: dict[str, Any]
    chart: SafeString
    rate_words: str  # "2 of 5 (40%)", "No rate: none of 0", or "" for a count


@dataclass(frozen=True)
class ShownSection:
    key: str
    title: str
    measures: list[ShownMeasure]


def percent(numerator: int | None, denominator: int | None) -> str:
    if not denominator:
        return ""
    return f"{round(100 * (numerator or 0) / denominator)}%"


def rate_words(numerator: int | None, denominator: int | None) -> str:
    if not denominator:
        return f"No rate: {numerator or 0} of {denominator or 0}"
    return f"{numerator} of {denominator} ({percent(numerator, denominator)})"


def sections(content: dict[str, Any]) -> list[ShownSection]:
    shown: list[ShownSection] = []
    for section in Section:
        measures = [
            ShownMeasure(
                data=measure,
                chart=trend_chart(measure["trend"], title=measure["title"], is_rate=measure["is_rate"]),
                rate_words=rate_words(measure["numerator"], measure["denominator"]) if measure["is_rate"] else "",
            )
            for measure in content["measures"]
            if measure["section"] == section.name
        ]
        shown.append(ShownSection(key=section.name, title=section.value, measures=measures))
    return shown


def render_pdf(*, content: dict[str, Any], version: int, built_at: datetime) -> bytes:
    html = render_to_string(
        "reporting/report_pdf.html",
        {"content": content, "sections": sections(content), "version": version, "built_at": built_at},
    )
    # Imported here: WeasyPrint parses its default stylesheets on import, which every web process would otherwise pay.
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def render_csv(*, content: dict[str, Any]) -> str:
    """One row per figure: each measure's total (and, for a rate, its denominator), each breakdown line, the figures
    shown beside it, its twelve earlier months ("trend"), then the data-quality counts. Text that a spreadsheet would
    run as a formula is quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    month = content["month"]
    for measure in content["measures"]:
        head = (measure["section_title"], measure["key"], measure["title"])
        if measure["is_rate"]:
            _line(writer, month, head, "total", measure["title"], measure["numerator"], measure["denominator"])
        else:
            _line(writer, month, head, "total", measure["title"], measure["total"], None)
        for row in measure["rows"]:
            _line(writer, month, head, f"breakdown:{row['key']}", row["label"], row["count"], row["denominator"])
        for row in measure["related"]:
            _line(writer, month, head, f"related:{row['key']}", row["label"], row["count"], row["denominator"])
        for point in measure["trend"][:-1]:
            if measure["is_rate"]:
                _line(writer, point["month"], head, "trend", measure["title"], point["numerator"], point["denominator"])
            else:
                _line(writer, point["month"], head, "trend", measure["title"], point["total"], None)
    for row in content["data_quality"]:
        quality = ("Data quality", "data_quality", "Data quality")
        _line(writer, month, quality, row["key"], row["label"], row["count"], None)
    assurance = content.get("quality_assurance")  # reports built before it was added have none
    if assurance:
        head = ("Quality assurance", "quality_assurance", "Quality assurance sample")
        _line(
            writer, month, head, "completed", "Files audited of those drawn", assurance["completed"], assurance["drawn"]
        )
        for row in assurance["rows"]:
            _line(writer, month, head, f"grade:{row['key']}", row["label"], row["count"], row["denominator"])
    return out.getvalue()


def _line(
    writer: Any,
    when: str,
    head: tuple[str, str, str],
    kind: str,
    label: str,
    count: int | None,
    denominator: int | None,
) -> None:
    writer.writerow(
        [_cell(str(value)) for value in (when, *head, kind, label)]
        + ["" if count is None else count, "" if denominator is None else denominator, percent(count, denominator)]
    )


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value
