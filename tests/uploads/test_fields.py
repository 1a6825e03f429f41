"""A form with an attachment field shows the user why a file was refused, and hands the view a checked file."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.datastructures import MultiValueDict

from evolve.uploads.fields import SafeFileField, checked_upload
from tests.uploads.samples import EXE_BYTES, docx_bytes, pdf_bytes, upload


def _files(attachment: UploadedFile[Any] | None = None) -> MultiValueDict[str, UploadedFile[Any]]:
    """The files of a submitted form, as request.FILES holds them."""
    return MultiValueDict({"attachment": [attachment]} if attachment else {})


class AttachmentForm(forms.Form):
    attachment = SafeFileField(label="Upload a file")


class OptionalSmallAttachmentForm(forms.Form):
    attachment = SafeFileField(label="Upload a file", required=False, max_bytes=1024)


def test_an_accepted_file_reaches_the_view_with_its_check_attached() -> None:
    form = AttachmentForm(data={}, files=_files(upload("minutes.docx", docx_bytes(), "application/pdf")))

    assert form.is_valid(), form.errors
    cleaned = form.cleaned_data["attachment"]
    checked = checked_upload(upload=cleaned)
    assert checked.content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert checked.filename == "minutes.docx"
    assert cleaned.tell() == 0


def test_a_disguised_executable_is_refused_with_the_message_beside_the_field() -> None:
    form = AttachmentForm(data={}, files=_files(upload("referral.pdf", EXE_BYTES)))

    assert not form.is_valid()
    assert form.errors == {"attachment": ["The selected file must be a PDF, JPG, PNG or Word document"]}


def test_an_empty_file_is_refused_in_plain_english() -> None:
    form = AttachmentForm(data={}, files=_files(upload("referral.pdf", b"")))

    assert form.errors == {"attachment": ["The selected file is empty"]}


def test_no_file_on_a_required_field_asks_the_user_to_select_one() -> None:
    form = AttachmentForm(data={}, files=_files())

    assert form.errors == {"attachment": ["Select a file"]}


def test_a_field_can_have_its_own_limit(settings) -> None:
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024

    form = OptionalSmallAttachmentForm(data={}, files=_files(upload("big.pdf", pdf_bytes(padding=2048))))

    assert form.errors == {"attachment": ["The selected file must be smaller than 1KB"]}


def test_an_optional_field_left_empty_is_fine() -> None:
    form = OptionalSmallAttachmentForm(data={}, files=_files())

    assert form.is_valid()
    assert form.cleaned_data["attachment"] is None


def test_the_field_renders_as_a_plain_file_input_that_suggests_the_allowed_types() -> None:
    html = str(AttachmentForm()["attachment"])

    assert 'type="file"' in html
    assert 'accept=".doc,.docx,.jpeg,.jpg,.pdf,.png"' in html
    assert "Clear" not in html and "Currently" not in html


def test_a_file_that_never_went_through_the_field_cannot_pass_as_checked() -> None:
    with pytest.raises(ValueError, match="not checked"):
        checked_upload(upload=upload("referral.pdf", pdf_bytes()))
