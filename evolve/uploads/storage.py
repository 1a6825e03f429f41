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
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse

from evolve.uploads.validation import ALLOWED_CONTENT_TYPES, CheckedUpload, safe_filename

# Records are OFFICIAL-SENSITIVE: readable by the user the application runs as, and nobody else on the machine.
FILE_PERMISSIONS = 0o600
DIRECTORY_PERMISSIONS = 0o700

_PREFIX = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")


class PrivateStorage(FileSystemStorage):
    """A folder on disk with no URLs: a private file only ever leaves through a permission-checked view.

    Its folder is settings.PRIVATE_MEDIA_ROOT, read each time (not once at start), so that where the folder is can
    change with the settings, as the tests change it.
    """

    def __init__(self, **options: Any) -> None:
        options.setdefault("file_permissions_mode", FILE_PERMISSIONS)
        options.setdefault("directory_permissions_mode", DIRECTORY_PERMISSIONS)
        options["base_url"] = None
        super().__init__(**options)

    @property
    def base_location(self) -> str:
        explicit: str | None = getattr(self, "_location", None)
        return str(explicit or private_media_root())

    @property
    def location(self) -> str:
        return str(Path(self.base_location).resolve())

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Private files have no URL: serve them with serve_private_file from a view")


def private_media_root() -> Path:
    """settings.PRIVATE_MEDIA_ROOT, or var/private-media in the project where it is not set."""
    return Path(getattr(settings, "PRIVATE_MEDIA_ROOT", settings.BASE_DIR / "var" / "private-media"))


def private_storage() -> Storage:
    """Where attachments, minutes, reports and exports are kept: STORAGES["private"].

    A folder on disk by default (PrivateStorage), or any Django storage the settings name, such as django-storages'
    S3Storage on a private bucket, so that several web and worker machines share one store (README, deployment). A
    folder on disk is refused inside a folder that the web server or whitenoise serves.
    """
    storage = storages["private"]
    if isinstance(storage, FileSystemStorage):
        _refuse_public_location(location=Path(storage.location))
    return storage


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
