"""The minutes as PDFs (WeasyPrint): the whole meeting for the team, and one child's part for a reader outside it.

`minutes_build` is what the Celery task runs. It is safe to run twice and safe to kill: it renders the version the
meeting wants, writes the file under a name fixed by meeting and version (a half-written file from a killed run is
simply overwritten), and only then adds the `Minutes` row, so a row always means a whole file.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from evolve.uploads.storage import private_storage
from meetings.models import AgendaItem, Meeting, Minutes
from meetings.selectors import MeetingPage, minutes_content

logger = logging.getLogger(__name__)


def render_pdf(*, page: MeetingPage, extract: AgendaItem | None = None) -> bytes:
    """The minutes of `page`, or with `extract` only that child's part (and nothing about any other child)."""
    html = render_to_string(
        "meetings/minutes_pdf.html",
        {
            "page": page,
            "meeting": page.meeting,
            "items": [extract] if extract is not None else page.items,
            "extract": extract,
            "amendments": [a for a in page.amendments if extract is None or a.item_id == extract.pk],
            "generated_at": timezone.now(),
        },
    )
    # Imported here: WeasyPrint parses its default stylesheets on import, which every web process would otherwise pay
    # at start-up (the URL conf imports the views that import this module).
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def minutes_build(*, meeting_id: int) -> Minutes | None:
    """Build the minutes version the meeting wants, once. None when there is nothing to build."""
    meeting = Meeting.objects.get(pk=meeting_id)
    number = meeting.minutes_wanted
    if meeting.closed_at is None or number == 0:
        return None
    existing = Minutes.objects.filter(meeting=meeting, number=number).first()
    if existing is not None:
        return existing
    pdf = render_pdf(page=minutes_content(meeting_id=meeting_id))
    name = f"minutes/{meeting.public_id.hex}/minutes-v{number}.pdf"
    storage = private_storage()
    if storage.exists(name):  # left by a run that died after writing and before recording it
        storage.delete(name)
    stored = storage.save(name, ContentFile(pdf))
    with transaction.atomic():
        minutes, created = Minutes.objects.get_or_create(
            meeting=meeting,
            number=number,
            defaults={"storage_name": stored, "sha256": hashlib.sha256(pdf).hexdigest(), "size": len(pdf)},
        )
        Meeting.objects.filter(pk=meeting.pk).update(minutes_failed_at=None)
    if created:
        logger.info("Minutes v%s of meeting %s built (%s bytes)", number, meeting.public_id, len(pdf))
    return minutes


def minutes_failed(*, meeting_id: int) -> None:
    """Show on the meeting page that building the minutes failed (the task retries; the sweep tries again)."""
    Meeting.objects.filter(pk=meeting_id).update(minutes_failed_at=timezone.now())
