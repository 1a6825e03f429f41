"""A developer's machine: `make run`. Debug pages on, demo data allowed, plain HTTP on localhost."""

import os

os.environ.setdefault("SECRET_KEY", "local-development-only-not-a-secret")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
os.environ.setdefault("DEMO_DATA_ALLOWED", "true")

from evolve.settings.base import *  # noqa: F403

# No collected static files here: whitenoise serves straight from static/ through the finders.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
