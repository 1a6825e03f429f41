"""WSGI entry point for gunicorn. Production settings unless DJANGO_SETTINGS_MODULE says otherwise."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evolve.settings.production")

application = get_wsgi_application()

# The URLs (and with them every view module) loaded now, in each worker, rather than on the first request; then all
# that was loaded, which lives as long as the process, is moved out of the garbage collector's sight. A request that
# allocates many objects (a network of 300 records, a map of 500 places) triggers collections, and without this
# each full collection walks the whole of Django and the app as well: measured in-process on the network page, p95
# 278 -> 197 ms (bench/README.md, "Garbage collection").
get_resolver().url_patterns  # noqa: B018  # loading is the point
gc.collect()
gc.freeze()
