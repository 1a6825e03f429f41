"""Where checked uploads are kept, and how they go back out: out of the web root, under names nobody can guess.

Nothing here serves a file by URL. The app that owns an attachment serves it from its own view, after its own
permission check, through serve_private_file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse

from evolve.uploads.validation import ALLOWED_CONTENT_TYPES, CheckedUpload, safe_filename

# Records are OFFICIAL-SENSITIVE: readable by the user the application runs as, and nobody else on the machine.
FILE_PERMISSIONS = 0o600
DIRECTORY_PERMISSIONS = 0o700

_PREFIX = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")


class PrivateStorage(FileSystemStorage):
    """A FileSystemStorage with no URLs: a private file only ever leaves through a permission-checked view."""

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Private files have no URL: serve them with serve_private_file from a view")


def private_media_root() -> Path:
    """settings.PRIVATE_MEDIA_ROOT, or var/private-media in the project where it is not set."""
    return Path(getattr(settings, "PRIVATE_MEDIA_ROOT", settings.BASE_DIR / "var" / "private-media"))


def private_storage() -> PrivateStorage:
    """The storage for attachments. Refuses to start inside a folder that the web server or whitenoise serves."""
    location = private_media_root()
    _refuse_public_location(location=location)
    return PrivateStorage(
        location=location,
        base_url=None,
        file_permissions_mode=FILE_PERMISSIONS,
        directory_permissions_mode=DIRECTORY_PERMISSIONS,
    )


def stored_name(*, checked: CheckedUpload, prefix: str) -> str:
    """A new random name under prefix, such as "referrals/3f2b...9c.pdf".

    No part of the sender's file name reaches the file system, so it can neither choose a path nor give one away
    (a child's name in a file name would otherwise sit in every directory listing and backup). The extension comes
    from the checked content type. uuid4 draws 122 bits from the operating system's secure random source.
    """
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"Not a safe storage prefix: {prefix!r}")
    return f"{prefix}/{uuid4().hex}{checked.extension}"


def store_upload(*, upload: UploadedFile[Any], checked: CheckedUpload, prefix: str) -> str:
    """Save a checked upload in private storage under a new random name, and return the name to keep on record."""
    return private_storage().save(stored_name(checked=checked, prefix=prefix), upload)


def serve_private_file(*, storage_name: str, download_name: str, content_type: str) -> FileResponse:
    """A download of a stored attachment, for a view that has already checked the user may see it.

    content_type must be the one check_upload found and the app stored, never one from a request: anything outside
    the allowed types is refused, so a stored file can never go out as HTML or script. The file always downloads
    (Content-Disposition: attachment) rather than opening in the browser, the browser is told not to second-guess
    the type, and no cache is allowed to keep a copy.
    """
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise ValueError(f"Not an allowed content type for an attachment: {content_type!r}")
    handle = private_storage().open(storage_name, "rb")
    response = FileResponse(
        handle, as_attachment=True, filename=safe_filename(name=download_name), content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _refuse_public_location(*, location: Path) -> None:
    public: list[Path] = []
    for setting in ("STATIC_ROOT", "MEDIA_ROOT", "WHITENOISE_ROOT"):
        value = getattr(settings, setting, None)
        if value:
            public.append(Path(value))
    for entry in getattr(settings, "STATICFILES_DIRS", []):
        public.append(Path(entry[1] if isinstance(entry, tuple | list) else entry))
    resolved = location.resolve()
    for folder in public:
        if resolved.is_relative_to(folder.resolve()):
            raise ImproperlyConfigured(f"PRIVATE_MEDIA_ROOT must not be inside a served folder ({folder})")
