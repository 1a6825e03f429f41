"""A child's chronology: every event across referrals, decisions, meetings, assessments and notes, in one list.

Written once by services (evolve.chronology.services.chronology_record); a trigger refuses UPDATE and DELETE."""

from django.db import models


class ChronologyEntry(models.Model):
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(help_text="When it happened")
    recorded_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+", null=True)
    kind = models.CharField(max_length=60)
    summary = models.CharField(max_length=300)
    rationale = models.TextField(blank=True)
    # What it came from, e.g. ("referral", 42), so a page can link back without this app importing that one.
    source_type = models.CharField(max_length=40)
    source_id = models.BigIntegerField()
    # An entry about a record restricted to one agency (a health clinical note, police intelligence) is seen only by
    # that agency and by those it was shared with through the information-sharing ledger (same source).
    restricted_to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Hash chain (evolve.audit.chain, ADR 0012): set by a database trigger on INSERT, whatever the caller passes.
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "chronology entries"
        indexes = [
            models.Index(fields=["child", "-occurred_at"], name="chronology_child_at"),
            models.Index(fields=["source_type", "source_id"], name="chronology_source"),
        ]

    def __str__(self) -> str:
        return f"Chronology {self.pk}: {self.kind} for child {self.child_id}"
