"""The access log: a row for every read and every change of a child's data. Append-only in the database."""

from django.db import models


class AccessAction(models.TextChoices):
    VIEWED = "viewed", "Viewed"
    LISTED = "listed", "Listed or found in a search"
    CREATED = "created", "Created"
    UPDATED = "updated", "Changed"
    GRANTED = "granted", "Access granted"
    EXPORTED = "exported", "Exported"
    BREAK_GLASS = "break_glass", "Opened in an emergency (break-glass)"


class AccessLogEntry(models.Model):
    """Written once by evolve.audit.auditor; a database trigger refuses UPDATE and DELETE (migration 0002)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+", null=True)
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    what = models.CharField(max_length=500, help_text="What was seen or changed")
    where = models.CharField(max_length=200, help_text="The page or API endpoint")
    # Hash chain (evolve.audit.chain, ADR 0012): set by a database trigger on INSERT, whatever the caller passes.
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "access log entries"
        indexes = [models.Index(fields=["child", "-at"], name="access_log_child_at")]

    def __str__(self) -> str:
        return f"Access {self.pk}: user {self.user_id} {self.action} child {self.child_id}"
