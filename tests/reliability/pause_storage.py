"""Loaded into a test's worker only (`celery worker --include=tests.reliability.pause_storage`): when
EVOLVE_TEST_PAUSE_AFTER_SAVING names the end of a file name, the private storage, having written such a file, says
so in the file EVOLVE_TEST_PAUSE_MARKER names and then waits, so that the test can kill the worker at exactly that
point: a file written, nothing yet recorded."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from evolve.uploads.storage import PrivateStorage

_ending = os.environ.get("EVOLVE_TEST_PAUSE_AFTER_SAVING", "")

if _ending:
    _save: Any = PrivateStorage._save  # type: ignore[attr-defined]  # Storage's own hook, not in the stubs

    def _save_then_wait(self: PrivateStorage, name: str, content: Any) -> str:
        saved = _save(self, name, content)
        if saved.endswith(_ending):
            Path(os.environ["EVOLVE_TEST_PAUSE_MARKER"]).write_text(saved)
            time.sleep(600)
        return saved

    setattr(PrivateStorage, "_save", _save_then_wait)  # noqa: B010
