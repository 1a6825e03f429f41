"""What every app's API answers the same way: input checked by a serializer, a service's refusal as a 400 keyed by
field or a 409 with its reason (and the current version when the change was based on an old one), and the refusals
listed in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

REFUSALS = {
    400: OpenApiResponse(description="Bad input: the reasons, keyed by field. Nothing was changed."),
    403: OpenApiResponse(description="Your role may not take this step. Nothing was changed."),
    404: OpenApiResponse(description="No such record, or not one you may see."),
    409: OpenApiResponse(description="The step cannot be taken now (the reason is given). Nothing was changed."),
}


def with_refusals(
    responses: dict[Any, Any], *codes: int, table: dict[int, OpenApiResponse] = REFUSALS
) -> dict[Any, Any]:
    """`responses` for the schema, with the refusals an endpoint may give (`table` for an app's own wording)."""
    return {**responses, **{code: table[code] for code in codes}}


def valid_input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def invalid(error: DjangoValidationError, renamed: dict[str, str] | None = None) -> ValidationError:
    """A service's refusal as a 400: keyed by field where it names one (`renamed`: the service's name for a field
    to the name the API takes it by)."""
    if not hasattr(error, "error_dict"):
        return ValidationError({"detail": error.messages})
    names = renamed or {}
    return ValidationError({names.get(field, field): messages for field, messages in error.message_dict.items()})


def refused(error: Exception) -> Response:
    """A step that cannot be taken now: a 409 with the reason. Nothing was changed. A conflict (an exception with
    the `current` record) also says the current version, which the caller's change was not based on."""
    current = getattr(error, "current", None)
    if current is not None:
        return Response({"detail": str(error), "version": current.version}, status=status.HTTP_409_CONFLICT)
    return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)


class EnumChoiceField(serializers.ChoiceField):
    enum_choices: list[tuple[str, str]] = []

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=self.enum_choices, **kwargs)


def named_enum(component_name: str, choices: list[tuple[str, str]]) -> type[EnumChoiceField]:
    """A choice field whose enum has its own name in the OpenAPI schema (an app's "kind" never collides with
    another's field of the same name)."""
    field = type(f"{component_name}Field", (EnumChoiceField,), {"enum_choices": choices})
    schema = {"type": "string", "enum": [value for value, _ in choices]}
    return extend_schema_field(schema, component_name=component_name)(field)


class Pages(LimitOffsetPagination):
    """The API's pages: at most 100 rows at a time (an unbounded ?limit= would read a whole table, or overflow)."""

    max_limit = 100


class Cursor(CursorPagination):
    """A list that may hold every record of a force (children, referrals), read a page at a time by following `next`:
    each page is found through an index from where the last one ended, and nothing counts every row, so the
    hundredth page costs what the first does (counting a million referrals took half a second). `ordering` is the
    subclass's, or the view's for the request (a search orders by how well each row matches)."""

    page_size_query_param = "limit"
    max_page_size = 100


PAGE_REFUSALS = {**REFUSALS, 404: OpenApiResponse(description="No such page: the cursor is not one this list gave.")}


class NewestFirst(Cursor):
    ordering = ("-created_at", "-id")
