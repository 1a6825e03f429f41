"""A form field for attachments, so that every form refuses the same files with the same GOV.UK messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from evolve.uploads.validation import ACCEPT, EMPTY_MESSAGE, CheckedUpload, check_upload


class SafeFileField(forms.FileField):
    """A plain file input whose clean() runs check_upload and attaches the result as `upload.checked`.

    The view then stores the file with the checked type and safe name (see checked_upload), never with what the
    browser said. max_bytes overrides settings.UPLOAD_MAX_BYTES for this field only.
    """

    # The GOV.UK file upload is a bare <input type="file">: no "Currently:" link or "Clear" box to a stored file.
    widget = forms.FileInput
    default_error_messages = {"required": "Select a file", "empty": EMPTY_MESSAGE}

    def __init__(self, *, max_bytes: int | None = None, **kwargs: Any) -> None:
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # accept only narrows the browser's file picker to the allowed types; clean() is what checks.
        return {**super().widget_attrs(widget), "accept": ACCEPT}

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            value.checked = check_upload(upload=value, max_bytes=self.max_bytes)  # type: ignore[attr-defined]
        return value


def checked_upload(*, upload: UploadedFile[Any]) -> CheckedUpload:
    """The CheckedUpload that SafeFileField attached to this upload.

    Raises ValueError if the upload never went through SafeFileField, so that an unchecked file cannot be stored
    by mistake.
    """
    checked = getattr(upload, "checked", None)
    if not isinstance(checked, CheckedUpload):
        raise ValueError("This upload was not checked: take it from a SafeFileField's cleaned data")
    return checked
