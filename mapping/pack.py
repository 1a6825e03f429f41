"""The Intelligence Sharing Meeting pack: the groups and locations flagged for disruption with their links, as a
page, a PDF (WeasyPrint) and a CSV.

The pack goes to a wider meeting (licensing, enforcement, the community safety partnership), so a child at either
end of a link is only ever "A child": no name, no link to the record. What the user may not see is already left out
by `mapping.selectors.intelligence_pack`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from django.template.loader import render_to_string

from mapping.models import Entity, EntityKind, Link, Location
from mapping.selectors import PackEntry, entity_details

A_CHILD = "A child"
CSV_HEADER = [
    "Entity kind",
    "Entity",
    "Flag reason",
    "Link type",
    "Other end",
    "First seen",
    "Last seen",
    "Confidence",
    "Source agency",
    "Restricted to",
]
# A spreadsheet runs a cell starting with these as a formula: the CSV quotes them.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class PackLink:
    link: Link
    kind: str
    other: Entity
    other_label: str
    other_is_child: bool
    # The link as a sentence, the way round it was recorded: "A child seen at Station Hotel".
    reads: str
    # The agency the link or the record at its other end is restricted to ("" when the whole team may see both): the
    # one who takes the pack to the wider meeting sees what is their agency's intelligence before sharing it.
    restricted_to: str = ""


@dataclass(frozen=True)
class PackSection:
    entity: Entity
    links: list[PackLink]

    @property
    def restricted_to(self) -> str:
        agency = self.entity.restricted_to_agency
        return agency.name if agency is not None else ""

    @property
    def what(self) -> str:
        """What the record is: a group, or a location and its type."""
        details = entity_details(self.entity)
        if isinstance(details, Location):
            return f"{self.entity.get_kind_display()}: {details.get_location_type_display().lower()}"
        return self.entity.get_kind_display()


def _label(entity: Entity) -> str:
    if entity.kind == EntityKind.CHILD:
        return A_CHILD
    return entity.label or entity.get_kind_display()


def _restricted_to(link: Link, other: Entity) -> str:
    """Restricted to an agency: the link itself, or the record at its other end (for a child, the child's record:
    the pack does not name the child, but that the child was there is that agency's)."""
    agency = link.restricted_to_agency or other.restricted_to_agency
    if agency is None and other.child is not None:
        agency = other.child.restricted_to_agency
    return agency.name if agency is not None else ""


def pack_sections(entries: list[PackEntry]) -> list[PackSection]:
    sections = []
    for entry in entries:
        lines = []
        for link in entry.links:
            other = link.b if link.a_id == entry.entity.pk else link.a
            a_label, b_label = _label(link.a), _label(link.b)
            lines.append(
                PackLink(
                    link=link,
                    kind=link.get_kind_display(),
                    other=other,
                    other_label=_label(other),
                    other_is_child=other.kind == EntityKind.CHILD,
                    reads=f"{a_label} {link.get_kind_display().lower()} {b_label}",
                    restricted_to=_restricted_to(link, other),
                )
            )
        sections.append(PackSection(entity=entry.entity, links=lines))
    return sections


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def pack_csv(*, sections: list[PackSection]) -> str:
    """One row per link; a flagged record with no links the user may see still has a row, with the link left blank."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for section in sections:
        entity = section.entity
        head = [entity.get_kind_display(), entity.label, entity.flag_reason]
        if not section.links:
            writer.writerow([_cell(value) for value in [*head, "", "", "", "", "", "", section.restricted_to]])
        for line in section.links:
            link = line.link
            row = [
                *head,
                line.kind,
                line.other_label,
                _day(link.first_seen_on),
                _day(link.last_seen_on),
                link.get_confidence_display(),
                link.source_agency.name,
                section.restricted_to or line.restricted_to,
            ]
            writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def pack_pdf(*, sections: list[PackSection], team_name: str, generated_at: datetime) -> bytes:
    html = render_to_string(
        "mapping/pack/pack_pdf.html",
        {"sections": sections, "team_name": team_name, "generated_at": generated_at},
    )
    # Imported here, as meetings.minutes does: WeasyPrint parses its stylesheets on import, which every web process
    # would otherwise pay at start-up.
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
