"""The test suite: real PostgreSQL and Redis, fast password hashing, no outside email."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("DEMO_DATA_ALLOWED", "true")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
# The suite makes many API requests from one address in a minute; the rate-limit tests set their own low rates.
os.environ.setdefault("API_RATE_USER", "100000/minute")
os.environ.setdefault("API_RATE_ANON", "100000/minute")

from evolve.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = False

# No collected static files here: whitenoise serves straight from static/ through the finders.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Attachments written by tests go to the machine's temporary folder, not the checkout.
PRIVATE_MEDIA_ROOT = Path(tempfile.gettempdir()) / "evolve-test-private-media"
