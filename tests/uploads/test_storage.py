"""Attachments are kept out of the web root under random names, and only ever go back out as downloads."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from evolve.uploads.storage import PrivateStorage, private_storage, serve_private_file, store_upload, stored_name
from evolve.uploads.validation import CheckedUpload, check_upload
from tests.uploads.samples import JPEG_BYTES, pdf_bytes, upload


@pytest.fixture
def private_root(settings, tmp_path: Path) -> Path:
    root = tmp_path / "private-media"
    settings.PRIVATE_MEDIA_ROOT = root
    return root


def _checked(name: str = "Jayden Smith referral.pdf", content: bytes | None = None) -> CheckedUpload:
    return check_upload(upload=upload(name, pdf_bytes() if content is None else content))


def test_stored_names_are_random_and_keep_nothing_of_the_senders_name() -> None:
    checked = _checked()

    names = {stored_name(checked=checked, prefix="referrals") for _ in range(50)}

    assert len(names) == 50
    for name in names:
        folder, _, leaf = name.partition("/")
        assert folder == "referrals"
        stem, _, extension = leaf.partition(".")
        assert len(stem) == 32 and set(stem) <= set("0123456789abcdef")
        assert extension == "pdf"
        assert "Jayden" not in name and "Smith" not in name and "referral" not in leaf


def test_the_stored_extension_comes_from_the_content_not_the_name() -> None:
    checked = check_upload(upload=upload("holiday.JPEG", JPEG_BYTES))

    assert stored_name(checked=checked, prefix="photos").endswith(".jpg")


@pytest.mark.parametrize("prefix", ["", "/etc", "../referrals", "referrals/../../etc", "referrals/", "a b"])
def test_a_prefix_that_could_leave_the_storage_folder_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="safe storage prefix"):
        stored_name(checked=_checked(), prefix=prefix)


def test_an_upload_is_saved_out_of_the_web_root_readable_only_by_the_application(private_root: Path) -> None:
    file = upload("Jayden Smith referral.pdf", pdf_bytes())
    checked = check_upload(upload=file)

    name = store_upload(upload=file, checked=checked, prefix="referrals")

    saved = private_root / name
    assert saved.read_bytes() == pdf_bytes()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    assert [path.name for path in private_root.rglob("*")] == ["referrals", saved.name]


def test_private_files_have_no_url(private_root: Path) -> None:
    with pytest.raises(NotImplementedError):
        private_storage().url("referrals/anything.pdf")


def test_private_media_root_defaults_to_var_outside_the_static_folders(settings) -> None:
    if hasattr(settings, "PRIVATE_MEDIA_ROOT"):
        del settings.PRIVATE_MEDIA_ROOT

    storage = private_storage()
    assert isinstance(storage, PrivateStorage)
    assert Path(storage.location) == settings.BASE_DIR / "var" / "private-media"


@pytest.mark.parametrize("setting", ["STATIC_ROOT", "MEDIA_ROOT"])
def test_private_storage_refuses_to_live_inside_a_served_folder(settings, tmp_path: Path, setting: str) -> None:
    setattr(settings, setting, tmp_path / "public")
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "public" / "private"

    with pytest.raises(ImproperlyConfigured, match="PRIVATE_MEDIA_ROOT"):
        private_storage()


def test_private_storage_refuses_to_live_inside_a_static_source_folder(settings) -> None:
    settings.PRIVATE_MEDIA_ROOT = settings.STATICFILES_DIRS[0] / "uploads"

    with pytest.raises(ImproperlyConfigured, match="PRIVATE_MEDIA_ROOT"):
        private_storage()


def test_a_stored_file_goes_out_as_a_download_of_its_checked_type(private_root: Path) -> None:
    file = upload("Referral letter.pdf", pdf_bytes(), content_type="text/html")
    checked = check_upload(upload=file)
    name = store_upload(upload=file, checked=checked, prefix="referrals")

    response = serve_private_file(storage_name=name, download_name=checked.filename, content_type=checked.content_type)

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Referral letter.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == pdf_bytes()  # type: ignore[arg-type]


def test_a_download_name_is_made_safe_even_if_it_was_stored_unsafe(private_root: Path) -> None:
    file = upload("letter.pdf", pdf_bytes())
    name = store_upload(upload=file, checked=check_upload(upload=file), prefix="referrals")

    response = serve_private_file(
        storage_name=name, download_name='C:\\temp\\x";\r\nSet-Cookie: a=b.pdf', content_type="application/pdf"
    )

    assert response["Content-Disposition"] == 'attachment; filename="x__ Set-Cookie_ a_b.pdf"'


def test_a_file_is_never_served_as_a_type_that_was_not_checked(private_root: Path) -> None:
    with pytest.raises(ValueError, match="content type"):
        serve_private_file(storage_name="referrals/x.pdf", download_name="x.pdf", content_type="text/html")


def test_a_non_ascii_download_name_is_encoded_for_the_header(private_root: Path) -> None:
    file = upload("Zoë statement.pdf", pdf_bytes())
    checked = check_upload(upload=file)
    name = store_upload(upload=file, checked=checked, prefix="referrals")

    response = serve_private_file(storage_name=name, download_name=checked.filename, content_type=checked.content_type)

    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Zo%C3%AB%20statement.pdf"


def _private_storage_in_a_fresh_process(**environment: str) -> subprocess.CompletedProcess[str]:
    """The storage settings are read at start-up, so each configuration is tried in its own interpreter."""
    script = (
        "import django; django.setup(); "
        "from evolve.uploads.storage import private_storage; s = private_storage(); "
        "print(type(s).__module__ + '.' + type(s).__name__, getattr(s, 'bucket_name', ''), "
        "getattr(s, 'default_acl', ''))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "evolve.settings.test", **environment}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False)


def test_the_private_store_can_be_a_private_bucket_shared_by_every_machine() -> None:
    result = _private_storage_in_a_fresh_process(PRIVATE_STORAGE="s3", PRIVATE_STORAGE_BUCKET="evolve-files")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["storages.backends.s3.S3Storage", "evolve-files", "private"]


def test_the_private_store_is_a_folder_by_default() -> None:
    result = _private_storage_in_a_fresh_process()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["evolve.uploads.storage.PrivateStorage"]


def test_an_unknown_private_store_stops_the_service_starting() -> None:
    result = _private_storage_in_a_fresh_process(PRIVATE_STORAGE="ftp")
    assert result.returncode != 0
    assert "PRIVATE_STORAGE must be file or s3" in result.stderr
