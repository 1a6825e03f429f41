"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def network_page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def child_network(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def hotspot_map(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
