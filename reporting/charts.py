"""A measure's last thirteen months as a small bar chart, drawn here as SVG: the PDF and the report page show the same
picture with no JavaScript, and the page's Content-Security-Policy has nothing to allow (colours are presentation
attributes, not style).

Why not a charting library: the chart is thirteen bars, two month labels and a scale; pygal or matplotlib would add a
dependency (matplotlib a large one) whose default output carries its own stylesheet and script that the PDF renderer
and the CSP would both have to be steered around. If the report grows real charts, take one then.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reporting.content import TrendPoint, number_text, point_value

WIDTH, HEIGHT = 300, 100
LEFT, RIGHT, TOP, BOTTOM = 30, 4, 16, 20  # room for the scale on the left and the month labels below
THIS_MONTH = "#1d70b8"  # GOV.UK blue
EARLIER = "#b1b4b6"  # GOV.UK mid grey
INK = "#0b0c0c"
RULE = "#505a5f"


def trend_chart(trend: list[TrendPoint], *, title: str, is_rate: bool) -> SafeString:
    """SVG of the trend, oldest month on the left, this month dark. A month with no rate has no bar and a dash."""
    values = [point_value(point, is_rate=is_rate) for point in trend]
    top = 100.0 if is_rate else float(max([v for v in values if v is not None] + [1.0]))
    top = _nice(top)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(values)
    bar_w = slot * 0.7
    parts: list[str] = []
    for index, value in enumerate(values):
        x = LEFT + index * slot + (slot - bar_w) / 2
        colour = THIS_MONTH if index == len(values) - 1 else EARLIER
        if value is None:
            y = TOP + plot_h - 1.0
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="1" fill="{RULE}"/>')
            continue
        height = plot_h * value / top if top else 0.0
        y = TOP + plot_h - height
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}" fill="{colour}"/>')
        # Every month's figure above its bar, so the chart can be read without a ruler (rates: the percentage).
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{y - 2:.1f}" text-anchor="middle" font-size="7.5" fill="{INK}">'
            f"{number_text(round(value))}</text>"
        )
    unit = "%" if is_rate else ""
    axis_y = TOP + plot_h
    top_label = number_text(top) + unit
    scale = (
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" font-size="9" fill="{INK}">{top_label}</text>'
        f'<text x="{LEFT - 4}" y="{axis_y}" text-anchor="end" font-size="9" fill="{INK}">0</text>'
        f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH - RIGHT}" y2="{axis_y}" stroke="{RULE}" stroke-width="1"/>'
    )
    months = (
        f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="9" fill="{INK}">{escape(trend[0]["label"])}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end" font-size="9" fill="{INK}">'
        f"{escape(trend[-1]['label'])}</text>"
    )
    described = escape(f"{title}, {trend[0]['label']} to {trend[-1]['label']}: " + _spoken(trend, values, unit))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{described}" font-family="Arial, sans-serif">'
        f"<title>{described}</title>{''.join(parts)}{scale}{months}</svg>"
    )
    return mark_safe(svg)  # noqa: S308 - numbers we computed and labels escaped above


def _spoken(trend: list[TrendPoint], values: list[float | None], unit: str) -> str:
    """The chart in words, for a screen reader and for anyone who cannot tell the bars apart."""
    return ", ".join(
        f"{point['label']} {'no rate' if value is None else number_text(value) + unit}"
        for point, value in zip(trend, values, strict=True)
    )


def _nice(value: float) -> float:
    """The scale's top: the maximum rounded up to 1, 2 or 5 times a power of ten (so 7 shows as 10, 23 as 50)."""
    if value <= 1:
        return 1.0
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude
