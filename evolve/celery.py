"""The Celery app. Broker and result backend are Redis (settings CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evolve.settings.production")

app = Celery("evolve")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
