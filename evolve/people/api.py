"""The children API: list and fuzzy search, create (with the duplicate check), read and update.

Same gate and auditor as the pages: a child the caller may not see is a 404, exactly like a missing one."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evolve.access import gate
from evolve.accounts.models import User
from evolve.people.models import Child, ChildAddress, ChildAlias, ChildIdentifier, Ethnicity, Gender, LookedAfterStatus
from evolve.people.permissions import may_change_child, may_record_child, may_restrict_to_agency
from evolve.people.selectors import child_duplicate_candidates, child_get_for_user, child_list_for_user, children_shown
from evolve.people.services import (
    ChildDetails,
    ConcurrentEditError,
    NewAddress,
    child_create,
    child_identity_validate,
    child_update,
)
from evolve.ui.api import PAGE_REFUSALS, Cursor, with_refusals


class ChildAliasSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChildAlias
        fields = ["name", "kind"]


class ChildAddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChildAddress
        fields = ["line_1", "line_2", "town", "postcode", "lived_from", "lived_to"]


class ChildIdentifierSerializer(serializers.ModelSerializer):
    agency: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="short_name", read_only=True)

    class Meta:
        model = ChildIdentifier
        fields = ["system", "value", "agency"]


class ChildSummarySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Child
        fields = ["id", "full_name", "first_name", "last_name", "date_of_birth", "estimated_age", "gender"]


class ChildSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    full_name = serializers.CharField(read_only=True)
    aliases = ChildAliasSerializer(many=True, read_only=True)
    addresses = ChildAddressSerializer(many=True, read_only=True)
    identifiers = ChildIdentifierSerializer(many=True, read_only=True)
    restricted_to_agency: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="short_name", read_only=True, allow_null=True
    )
    open_to_team: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Child
        fields = [
            "id",
            "full_name",
            "first_name",
            "middle_names",
            "last_name",
            "date_of_birth",
            "estimated_age",
            "age_estimated_on",
            "gender",
            "ethnicity",
            "school",
            "looked_after_status",
            "looked_after_by",
            "aliases",
            "addresses",
            "identifiers",
            "open_to_team",
            "restricted_to_agency",
            "version",
            "created_at",
            "updated_at",
        ]


class ChildIdentityInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    middle_names = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    estimated_age = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0, max_value=25)
    gender = serializers.ChoiceField(choices=Gender.choices, default=Gender.NOT_KNOWN)
    ethnicity = serializers.ChoiceField(choices=Ethnicity.choices, default=Ethnicity.NOT_OBTAINED)
    school = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    looked_after_status = serializers.ChoiceField(
        choices=LookedAfterStatus.choices, default=LookedAfterStatus.NOT_KNOWN
    )
    looked_after_by = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        merged = {**getattr(self, "existing", {}), **attrs}
        try:
            child_identity_validate(
                first_name=merged.get("first_name", ""),
                last_name=merged.get("last_name", ""),
                date_of_birth=merged.get("date_of_birth"),
                estimated_age=merged.get("estimated_age"),
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return attrs


class ChildCreateInputSerializer(ChildIdentityInputSerializer):
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False, default=list)
    address = ChildAddressSerializer(required=False, allow_null=True, default=None)
    restrict_to_my_agency = serializers.BooleanField(default=False)
    confirm_new = serializers.BooleanField(
        default=False, help_text="Set after checking the possible duplicates a 409 response offered"
    )


class ChildUpdateInputSerializer(ChildIdentityInputSerializer):
    version = serializers.IntegerField(help_text="The version of the record this change is based on")


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


class ByName(Cursor):
    ordering: tuple[str, ...] = ("last_name", "first_name", "id")


class ChildListApi(APIView):
    pagination_class = ByName

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description="Fuzzy match on every name and alias")],
        responses=with_refusals({200: ChildSummarySerializer(many=True)}, 403, 404, table=PAGE_REFUSALS),
    )
    def get(self, request: Request) -> Response:
        """The children you may see by name, or with `search` the best matches first; a page at a time: follow
        `next` for the next page."""
        gate.refuse_governance(request.user)
        user = _user(request)
        search = request.query_params.get("search", "").strip()[:200]
        children = child_list_for_user(user=user, search=search)
        paginator = self.pagination_class()
        if "similarity" in children.query.annotations:  # a search with something left to match once normalised
            paginator.ordering = ("-similarity", *ByName.ordering)
        page = paginator.paginate_queryset(children, request, view=self) or []
        children_shown(user=user, children=page, what="API search results" if search else "API list")
        return paginator.get_paginated_response(ChildSummarySerializer(page, many=True).data)

    @extend_schema(
        request=ChildCreateInputSerializer, responses={201: ChildSerializer, 409: ChildSummarySerializer(many=True)}
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        if not may_record_child(user):
            raise PermissionDenied("Your role does not record children.")
        serializer = ChildCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["restrict_to_my_agency"] and not may_restrict_to_agency(user):
            raise PermissionDenied("You cannot restrict a record to an agency.")
        if not data["confirm_new"]:
            check = child_duplicate_candidates(
                user=user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data["date_of_birth"],
            )
            if check.candidates or check.hidden_count:
                return Response(
                    {
                        "detail": "Possible existing records. Use one of these, or send again with confirm_new: true.",
                        "candidates": ChildSummarySerializer(check.candidates, many=True).data,
                        "hidden_candidates": check.hidden_count,
                    },
                    status=status.HTTP_409_CONFLICT,
                )
        given = data["address"]
        address = (
            NewAddress(
                line_1=given["line_1"],
                line_2=given.get("line_2", ""),
                town=given.get("town", ""),
                postcode=given.get("postcode", "").upper(),
                lived_from=given.get("lived_from"),
            )
            if given
            else None
        )
        details = ChildDetails(
            **{str(name): data[name] for name in ChildIdentityInputSerializer().fields},
            aliases=data["aliases"],
            address=address,
        )
        try:
            child = child_create(by=user, details=details, restrict_to_my_agency=data["restrict_to_my_agency"])
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        child = child_get_for_user(user=user, public_id=child.public_id, audit_what=None)
        return Response(ChildSerializer(child).data, status=status.HTTP_201_CREATED)


class ChildDetailApi(APIView):
    @extend_schema(responses=ChildSerializer)
    def get(self, request: Request, public_id: str) -> Response:
        child = child_get_for_user(user=_user(request), public_id=public_id, audit_what="record (API)")
        return Response(ChildSerializer(child).data)

    @extend_schema(request=ChildUpdateInputSerializer, responses={200: ChildSerializer, 409: ChildSerializer})
    def patch(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        child = child_get_for_user(user=user, public_id=public_id, audit_what=None)
        if not may_change_child(user, child):
            raise PermissionDenied("Your role does not change children's records.")
        serializer = ChildUpdateInputSerializer(data=request.data, partial=True)
        serializer.existing = {  # type: ignore[attr-defined]  # validate() checks the record as it would become
            name: getattr(child, name) for name in ("first_name", "last_name", "date_of_birth", "estimated_age")
        }
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        if version is None:
            raise ValidationError({"version": ["Send the version of the record your change is based on."]})
        try:
            updated = child_update(child=child, by=user, based_on_version=version, changes=changes)
        except ConcurrentEditError as error:
            return Response(
                {
                    "detail": "The record was changed by someone else. Nothing was saved.",
                    "current": ChildSerializer(error.current).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        updated = child_get_for_user(user=user, public_id=updated.public_id, audit_what=None)
        return Response(ChildSerializer(updated).data)
