"""Production: HTTPS only, secure cookies, HSTS. SECRET_KEY and ALLOWED_HOSTS must come from the environment.

`manage.py check --deploy --settings=evolve.settings.production` is clean (a test runs it).
"""

from evolve.settings.base import *  # noqa: F403
from evolve.settings.base import env

DEBUG = False
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Behind a TLS-terminating proxy that sets this header (see docker-compose.yml and the README).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
