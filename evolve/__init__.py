"""Evolve: the project (settings, URLs, Celery), the shared kernel and the Evolve case itself."""

from evolve.celery import app as celery_app

__all__ = ["celery_app"]
