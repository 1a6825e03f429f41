"""Checks an uploaded file by what it is, not by what it is called, before anything keeps it.

Why by content: the file's name and the content type the browser sends are whatever the sender chose, so an
executable called report.pdf passes a check of either. The first bytes of a file (its magic number) say what it is.

Why the signatures are written here rather than taken from the `filetype` package: only five formats are allowed,
four of them known by a fixed prefix, and the fifth (Word .docx, which is a ZIP) has to be opened with zipfile anyway
to tell it from any other ZIP and to look for macros, which `filetype` does not do. A short allowlist of our own is
easier to review than a dependency that recognises a hundred formats we would then have to refuse.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    """One allowed format: how messages name it, the content type it is served with, the names it may carry."""

    label: str
    content_type: str
    extension: str  # the one it is stored under
    extensions: frozenset[str]  # the ones a sender's file name may end in


PDF = FileKind("PDF", "application/pdf", ".pdf", frozenset({".pdf"}))
PNG = FileKind("PNG", "image/png", ".png", frozenset({".png"}))
JPEG = FileKind("JPG", "image/jpeg", ".jpg", frozenset({".jpg", ".jpeg"}))
DOCX = FileKind(
    "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docx",
    frozenset({".docx"}),
)
# Legacy Word. The OLE2 header is shared with old Excel, PowerPoint and Outlook files, and a .doc can carry macros
# that the header does not show; taking it on the header and a .doc name is a deliberate, accepted trade-off.
DOC = FileKind("Word document", "application/msword", ".doc", frozenset({".doc"}))

ALLOWED_KINDS = (PDF, PNG, JPEG, DOCX, DOC)
ALLOWED_CONTENT_TYPES = frozenset(kind.content_type for kind in ALLOWED_KINDS)
# For a file input's accept attribute: it only steers the browser's file picker, it checks nothing.
ACCEPT = ",".join(sorted(extension for kind in ALLOWED_KINDS for extension in kind.extensions))

_PREFIXES: tuple[tuple[bytes, FileKind], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", DOC),
)
_ZIP_PREFIX = b"PK\x03\x04"
_HEAD_BYTES = 8

# Office Open XML part names are case-insensitive, so these are compared in lower case.
_CONTENT_TYPES_PART = "[content_types].xml"
_WORD_MAIN_PART = "word/document.xml"
_WORD_MAIN_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_MACRO_PARTS = frozenset({"vbaproject.bin", "vbadata.xml"})
_MACRO_TYPE_MARKERS = (b"macroenabled", b"vbaproject")
# A real [Content_Types].xml is a few KB; reading is capped so a ZIP bomb cannot make us inflate more than this.
_MAX_CONTENT_TYPES_BYTES = 256 * 1024

_MAX_STEM_CHARACTERS = 100
_KEPT_PUNCTUATION = frozenset("-_.,()")

TYPE_MESSAGE = "The selected file must be a PDF, JPG, PNG or Word document"
EMPTY_MESSAGE = "The selected file is empty"
MACROS_MESSAGE = "The selected Word document must not contain macros"


@dataclass(frozen=True)
class CheckedUpload:
    """What check_upload found. Everything an app keeps about a file comes from here, never from the request."""

    filename: str  # the sender's name made safe to show and to offer as a download; never used as a path
    content_type: str  # from the content, and so the only content type the file is ever served with
    extension: str  # the stored extension for the content type, such as ".jpg" for a photo sent as .JPEG
    size: int
    sha256: str


def max_upload_bytes() -> int:
    """The size limit in force: settings.UPLOAD_MAX_BYTES, or 10 MiB where it is not set."""
    return int(getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def describe_size(*, size: int) -> str:
    """A size as GOV.UK messages write it (10MB, 512KB), rounded down so that "smaller than" stays true."""
    for unit, name in ((1024 * 1024, "MB"), (1024, "KB")):
        if size >= unit:
            tenths = size * 10 // unit
            return f"{tenths // 10}{name}" if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}{name}"
    return f"{size} bytes"


def check_upload(*, upload: UploadedFile[Any], max_bytes: int | None = None) -> CheckedUpload:
    """Accept a PDF, PNG, JPEG or Word document within the size limit, or raise ValidationError saying why not.

    The type comes from the file's first bytes (and, for .docx, from the ZIP's list of parts), and the file's name
    must end in an extension of that type: a PDF named report.exe and an executable named report.pdf are both
    refused. The browser's content type is ignored. The file is left at position 0 whatever happens, so that it can
    be saved straight afterwards.
    """
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if limit < 1:
        raise ValueError("The upload size limit must be at least one byte")
    try:
        size = _size(upload)
        if size == 0:
            raise ValidationError(EMPTY_MESSAGE, code="empty")
        if size > limit:
            raise ValidationError(
                f"The selected file must be smaller than {describe_size(size=limit)}", code="too_large"
            )
        kind = _detect(upload)
        name = _basename(upload.name or "")
        extension = _extension(name)
        if extension not in kind.extensions:
            raise ValidationError(
                f"The selected file is a {kind.label}, so its name must end in {kind.extension}",
                code="extension_mismatch",
            )
        sha256 = _sha256(upload)
    finally:
        upload.seek(0)
    return CheckedUpload(
        filename=safe_filename(name=name),
        content_type=kind.content_type,
        extension=kind.extension,
        size=size,
        sha256=sha256,
    )


def safe_filename(*, name: str) -> str:
    """The sender's file name cut down to something safe to display and to offer as a download name.

    Only the last part of a path is kept (browsers on Windows have sent C:\\Users\\...), letters, digits and a little
    punctuation survive, and invisible characters go, among them the right-to-left override (U+202E) that makes a
    name ending "fdp.exe" show as one ending "exe.pdf". It is never used to build a path on disk.
    """
    base = _basename(name)
    extension = _extension(base)
    stem = base[: len(base) - len(extension)] if extension else base
    kept = []
    for character in stem:
        category = unicodedata.category(character)
        if category[0] in "LNM" or character in _KEPT_PUNCTUATION:
            kept.append(character)
        elif category == "Zs" or character in "\t\n\r":
            kept.append(" ")
        elif category[0] != "C":  # control and format characters are dropped outright
            kept.append("_")
    clean_stem = " ".join("".join(kept).split())[:_MAX_STEM_CHARACTERS].strip(" ._-") or "attachment"
    return f"{clean_stem}{extension}"


def _basename(name: str) -> str:
    normalised = unicodedata.normalize("NFKC", name)
    return normalised.replace("\\", "/").rsplit("/", 1)[-1]


def _extension(name: str) -> str:
    """ ".pdf" for "Report.PDF"; "" where the name has no extension of plain letters and digits."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem.strip(".") or not suffix or not (suffix.isascii() and suffix.isalnum()):
        return ""
    return f".{suffix.lower()}"


def _size(upload: UploadedFile[Any]) -> int:
    if upload.size is not None:
        return upload.size
    upload.seek(0, 2)
    return int(upload.tell())


def _detect(upload: UploadedFile[Any]) -> FileKind:
    upload.seek(0)
    head = bytes(upload.read(_HEAD_BYTES))
    for prefix, kind in _PREFIXES:
        if head.startswith(prefix):
            return kind
    if head.startswith(_ZIP_PREFIX):
        _check_word_document(upload)
        return DOCX
    # Everything else, including executables ("MZ"), scripts, HTML and other archives.
    raise ValidationError(TYPE_MESSAGE, code="file_type")


def _check_word_document(upload: UploadedFile[Any]) -> None:
    """Accept a ZIP only if it is a Word document (.docx) without macros. Only the part list and the small
    [Content_Types].xml part are read: nothing else is inflated."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            parts = {info.filename.lower(): info for info in archive.infolist()}
            if any(name.rsplit("/", 1)[-1] in _MACRO_PARTS for name in parts):
                raise ValidationError(MACROS_MESSAGE, code="macros")
            if _CONTENT_TYPES_PART not in parts or _WORD_MAIN_PART not in parts:
                raise ValidationError(TYPE_MESSAGE, code="file_type")
            with archive.open(parts[_CONTENT_TYPES_PART]) as part:
                content_types = part.read(_MAX_CONTENT_TYPES_BYTES + 1).lower()
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, ValueError, OSError):
        # Damaged, encrypted or using a compression method Python does not read: not a document we can vouch for.
        raise ValidationError(TYPE_MESSAGE, code="file_type") from None
    if len(content_types) > _MAX_CONTENT_TYPES_BYTES:
        raise ValidationError(TYPE_MESSAGE, code="file_type")
    if any(marker in content_types for marker in _MACRO_TYPE_MARKERS):
        raise ValidationError(MACROS_MESSAGE, code="macros")
    if _WORD_MAIN_TYPE not in content_types:  # a template (.dotx) or another Office file with a word/ folder
        raise ValidationError(TYPE_MESSAGE, code="file_type")


def _sha256(upload: UploadedFile[Any]) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():  # chunks() starts from the beginning of the file
        digest.update(chunk)
    return digest.hexdigest()
