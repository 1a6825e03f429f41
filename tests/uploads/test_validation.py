"""Attachments are taken for what they are, not what they are called, and refused with a message that says why."""

from __future__ import annotations

import contextlib
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from evolve.uploads.validation import CheckedUpload, check_upload, safe_filename
from tests.uploads.samples import (
    DOC_BYTES,
    EXE_BYTES,
    HTML_BYTES,
    JPEG_BYTES,
    MACRO_MAIN_TYPE,
    docx_bytes,
    pdf_bytes,
    pdf_of_size,
    png_bytes,
    upload,
    zip_bytes,
)

TYPE_MESSAGE = "The selected file must be a PDF, JPG, PNG or Word document"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _refusal(file: SimpleUploadedFile, **kwargs: int) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        check_upload(upload=file, **kwargs)
    return refused.value


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        ("Referral letter.pdf", pdf_bytes(), "application/pdf", ".pdf"),
        ("bruise.png", png_bytes(), "image/png", ".png"),
        ("photo.jpg", JPEG_BYTES, "image/jpeg", ".jpg"),
        ("PHOTO.JPEG", JPEG_BYTES, "image/jpeg", ".jpg"),
        ("school report.docx", docx_bytes(), DOCX_TYPE, ".docx"),
        ("old notes.doc", DOC_BYTES, "application/msword", ".doc"),
    ],
)
def test_documents_and_photos_are_accepted_with_the_type_their_content_shows(
    name: str, content: bytes, content_type: str, extension: str
) -> None:
    # The browser's claim is deliberately wrong: it must make no difference.
    checked = check_upload(upload=upload(name, content, content_type="text/html"))

    assert checked == CheckedUpload(
        filename=name if not name.endswith("JPEG") else "PHOTO.jpeg",
        content_type=content_type,
        extension=extension,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", EXE_BYTES),  # a Windows executable renamed
        ("invoice.docx", EXE_BYTES),
        ("statement.pdf", HTML_BYTES),  # a web page that would run script if a browser opened it
        ("photos.docx", zip_bytes({"photo1.jpg": JPEG_BYTES, "run.exe": EXE_BYTES})),  # a ZIP that is not Word
        ("sheet.docx", zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})),
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 100),  # claims to be a ZIP, is not one
        ("notes.txt", b"Plain text notes"),
    ],
)
def test_anything_else_is_refused_as_the_wrong_type_whatever_its_name(name: str, content: bytes) -> None:
    refusal = _refusal(upload(name, content))

    assert refusal.messages == [TYPE_MESSAGE]
    assert refusal.code == "file_type"


@pytest.mark.parametrize(
    "content",
    [
        docx_bytes(extra_parts={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro code"}),
        docx_bytes(main_type=MACRO_MAIN_TYPE),  # a .docm renamed .docx
    ],
)
def test_a_word_document_with_macros_is_refused(content: bytes) -> None:
    refusal = _refusal(upload("minutes.docx", content))

    assert refusal.messages == ["The selected Word document must not contain macros"]
    assert refusal.code == "macros"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.exe", pdf_bytes(), "The selected file is a PDF, so its name must end in .pdf"),
        ("report.docx", pdf_bytes(), "The selected file is a PDF, so its name must end in .pdf"),
        ("report", pdf_bytes(), "The selected file is a PDF, so its name must end in .pdf"),
        ("photo.png", JPEG_BYTES, "The selected file is a JPG, so its name must end in .jpg"),
        ("notes.doc", docx_bytes(), "The selected file is a Word document, so its name must end in .docx"),
    ],
)
def test_a_name_that_does_not_match_the_content_is_refused(name: str, content: bytes, message: str) -> None:
    refusal = _refusal(upload(name, content))

    assert refusal.messages == [message]
    assert refusal.code == "extension_mismatch"


def test_an_empty_file_is_refused() -> None:
    refusal = _refusal(upload("referral.pdf", b""))

    assert refusal.messages == ["The selected file is empty"]
    assert refusal.code == "empty"


def test_a_file_over_the_limit_in_settings_is_refused(settings) -> None:
    settings.UPLOAD_MAX_BYTES = 1024
    small = pdf_bytes()
    assert len(small) < 1024
    check_upload(upload=upload("small.pdf", small))

    refusal = _refusal(upload("big.pdf", pdf_bytes(padding=1024)))

    assert refusal.messages == ["The selected file must be smaller than 1KB"]
    assert refusal.code == "too_large"


def test_a_file_exactly_at_the_limit_is_accepted() -> None:
    content = pdf_bytes(padding=500)

    assert check_upload(upload=upload("exact.pdf", content), max_bytes=len(content)).size == len(content)


def test_the_limit_is_10mb_where_settings_do_not_set_one(settings) -> None:
    if hasattr(settings, "UPLOAD_MAX_BYTES"):
        del settings.UPLOAD_MAX_BYTES
    content = pdf_of_size(10 * 1024 * 1024)
    check_upload(upload=upload("scan.pdf", content))

    refusal = _refusal(upload("scan.pdf", content + b"\n"))

    assert refusal.messages == ["The selected file must be smaller than 10MB"]


def test_a_limit_given_by_the_caller_wins_over_settings(settings) -> None:
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024

    refusal = _refusal(upload("scan.pdf", pdf_bytes(padding=3 * 1024 * 1024)), max_bytes=2 * 1024 * 1024 + 512 * 1024)

    assert refusal.messages == ["The selected file must be smaller than 2.5MB"]


@pytest.mark.parametrize(
    ("name", "content"),
    [("referral.pdf", pdf_bytes()), ("referral.pdf", EXE_BYTES), ("minutes.docx", docx_bytes()), ("a.pdf", b"")],
)
def test_the_file_is_left_at_the_start_whether_accepted_or_refused(name: str, content: bytes) -> None:
    file = upload(name, content)
    file.seek(3 if content else 0)

    with contextlib.suppress(ValidationError):
        check_upload(upload=file)

    assert file.tell() == 0
    assert file.read() == content


def test_the_safe_filename_keeps_only_the_last_part_of_a_path() -> None:
    checked = check_upload(upload=upload("C:\\Users\\sw\\Desktop\\..\\Referral.pdf", pdf_bytes()))
    # SimpleUploadedFile already drops a Unix path, as Django does for every upload; Windows paths are our job.

    assert checked.filename == "Referral.pdf"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Statement of J. Smith (2).pdf", "Statement of J. Smith (2).pdf"),
        ("Zoë's notes.pdf", "Zoë_s notes.pdf"),
        ('a<b>"c";d.pdf', "a_b__c__d.pdf"),
        ("statement\u202efdp.exe.pdf", "statementfdp.exe.pdf"),  # the right-to-left override is removed
        ("tab\tand\nnewline.pdf", "tab and newline.pdf"),
        ("../../etc/passwd", "passwd"),
        (".pdf", "pdf"),
        ("...", "attachment"),
        ("x" * 300 + ".pdf", "x" * 100 + ".pdf"),
    ],
)
def test_a_safe_filename_has_no_path_no_control_characters_and_no_quotes(name: str, safe: str) -> None:
    assert safe_filename(name=name) == safe


def test_a_large_upload_that_django_spooled_to_disk_is_checked_the_same_way() -> None:
    # Over 2.5MB (FILE_UPLOAD_MAX_MEMORY_SIZE) Django keeps an upload in a temporary file rather than in memory.
    content = docx_bytes()
    file = TemporaryUploadedFile("scan.docx", "application/octet-stream", len(content), None)
    file.write(content)
    file.seek(0)

    checked = check_upload(upload=file)

    assert checked.content_type == DOCX_TYPE
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert file.tell() == 0
    file.close()
