# (DRF's serializer classes take type parameters only in the stubs, not at run time: as for the other API modules.)
"""The mapping API: people of concern, locations, vehicles, groups and online identities (with the duplicate check),
links between them and children (with their history), the network N links out, the hotspots, missing episodes,
investigations, prosecutions and disruptions, and the Intelligence Sharing Meeting pack, through the same gate,
selectors, services and refusals as the pages.

Public UUIDs only; people by username, agencies by short name. Records, links and the network are the team's
intelligence: only members of the team use these endpoints (a 403 for a list or a new record, a 404 for a record's
id). A record restricted to another agency (police intelligence) is not there at all for anyone outside that agency:
absent from lists, searches, links and networks, and a 404 by id, exactly like a missing one. A child's name is shown
only where the caller may see the child; the Intelligence Sharing Meeting pack shows a child only as "a child".

A step that cannot be taken now (a link already withdrawn) is a 409, and so is a change based on a version someone
else has changed since (the body gives the current version) and a new record like one the team already holds (the
body lists them: look, then send it again with `not_a_duplicate`). Bad input is a 400 keyed by field. Nothing is
changed by a refused request."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evolve.accounts.models import Agency, User
from evolve.accounts.selectors import agencies_by_short_name, user_get_active_by_username
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.people.models import Child
from evolve.people.selectors import child_get_for_user
from evolve.ui.api import Pages, invalid, named_enum, refused, valid_input, with_refusals
from mapping.models import (
    Confidence,
    Disruption,
    DisruptionKind,
    DisruptionOutcome,
    Entity,
    EntityKind,
    Investigation,
    Link,
    LinkKind,
    LinkRevision,
    LocationType,
    MissingEpisode,
    PersonOfConcern,
    ProsecutionOutcome,
)
from mapping.network import DEFAULT_HOPS, MAX_HOPS, network_as_json, network_for_user
from mapping.permissions import may_map
from mapping.selectors import (
    child_entity_for,
    disruption_get_for_user,
    disruptions_for_user,
    entities_for_user,
    entity_details,
    entity_get_for_user,
    hotspots,
    intelligence_pack,
    investigation_children,
    investigation_get_for_user,
    investigations_for_user,
    link_get_for_user,
    link_revisions,
    linked_children,
    links_for_entity,
    missing_episode_get_for_user,
    missing_episodes_for_child,
    prosecution_get_for_user,
    prosecutions_for_user,
    year_before,
)
from mapping.services import (
    DETAIL_FIELDS,
    EpisodeInput,
    LinkInput,
    MappingConflict,
    MappingRefused,
    PossibleDuplicate,
    child_entity,
    disruption_outcome_record,
    disruption_record,
    entity_flag_for_disruption,
    entity_record,
    entity_update,
    investigation_close,
    investigation_open,
    link_record,
    link_update,
    link_withdraw,
    missing_episode_record,
    missing_episode_update,
    prosecution_conclude,
    prosecution_record,
)

NOT_FOUND = "No such record, or not one you may see."
TEAM_ONLY = "Mapping and pursuit records are the Evolve team's: only its members use them."
TEXT = 20_000
# The service's name for a field, to the name the API takes it by.
RENAMED = {"restricted_to_agency": "restricted"}

# Enums named for this app, so the schema's enums never collide with other apps' fields of the same name.


RECORD_KINDS = [(value, label) for value, label in EntityKind.choices if value != EntityKind.CHILD]
EntityKindField = named_enum("MappingEntityKindEnum", list(EntityKind.choices))
RecordKindField = named_enum("MappingRecordKindEnum", RECORD_KINDS)
LinkKindField = named_enum("MappingLinkKindEnum", list(LinkKind.choices))
ConfidenceField = named_enum("MappingConfidenceEnum", list(Confidence.choices))
LocationTypeField = named_enum("MappingLocationTypeEnum", list(LocationType.choices))
ProsecutionOutcomeField = named_enum("ProsecutionOutcomeEnum", list(ProsecutionOutcome.choices))
ConcludedOutcomeField = named_enum(
    "ProsecutionConcludedOutcomeEnum",
    [(value, label) for value, label in ProsecutionOutcome.choices if value != ProsecutionOutcome.PENDING],
)
DisruptionKindField = named_enum("DisruptionKindEnum", list(DisruptionKind.choices))
DisruptionOutcomeField = named_enum("DisruptionOutcomeEnum", list(DisruptionOutcome.choices))
RecordedOutcomeField = named_enum(
    "DisruptionRecordedOutcomeEnum",
    [(value, label) for value, label in DisruptionOutcome.choices if value != DisruptionOutcome.IN_FORCE],
)


class ZonedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time with its zone: a time without one is refused rather than guessed."""

    default_error_messages = {
        "naive": "Give the time with its zone, for example 2025-03-01T14:30:00+00:00.",
    }

    def to_internal_value(self, value: Any) -> Any:
        parsed = super().to_internal_value(value)
        given = parse_datetime(value.strip()) if isinstance(value, str) else value
        if given is None or given.tzinfo is None:
            self.fail("naive")
        return parsed


def _label(entity: Entity) -> str:
    """What a record is called: a child's name (only ever reached through the gate), else the record's label."""
    return entity.child.full_name if entity.child is not None else entity.label


# What the API shows ------------------------------------------------------------------------------------------------


class MappingChildSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)


class MappingRecordRefSerializer(serializers.Serializer):
    """Another record, named: a child's node is named only for those who may see the child (the gate decides)."""

    id = serializers.UUIDField(source="public_id", read_only=True, help_text="The record's id (a child's node too)")
    kind = EntityKindField(read_only=True)
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a field, not Field.label
    child = serializers.UUIDField(
        source="child.public_id", read_only=True, allow_null=True, help_text="For a child's node: the child's id"
    )

    def get_label(self, entity: Entity) -> str:
        return _label(entity)


class MappingRecordSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = EntityKindField(read_only=True)
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a field, not Field.label
    restricted = serializers.SerializerMethodField(help_text="Restricted to one agency (police intelligence)")
    restricted_to_agency = serializers.CharField(
        source="restricted_to_agency.short_name", read_only=True, allow_null=True
    )
    flagged_for_disruption = serializers.BooleanField(
        read_only=True, help_text="Passed to the Intelligence Sharing Meeting for disruption"
    )
    updated_at = serializers.DateTimeField(read_only=True)
    version = serializers.IntegerField(
        read_only=True, help_text="Give it back when changing the record: a 409 if someone has changed it since"
    )

    def get_label(self, entity: Entity) -> str:
        return _label(entity)

    def get_restricted(self, entity: Entity) -> bool:
        return entity.restricted_to_agency_id is not None


class PersonDetailsSerializer(serializers.Serializer):
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)
    date_of_birth = serializers.DateField(read_only=True, allow_null=True)
    description = serializers.CharField(read_only=True)
    identifiers = serializers.CharField(read_only=True)


class LocationDetailsSerializer(serializers.Serializer):
    location_type = LocationTypeField(read_only=True)
    name = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)
    postcode = serializers.CharField(read_only=True)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, coerce_to_string=False, read_only=True, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, coerce_to_string=False, read_only=True, allow_null=True
    )


class VehicleDetailsSerializer(serializers.Serializer):
    registration = serializers.CharField(read_only=True)
    make = serializers.CharField(read_only=True)
    model = serializers.CharField(read_only=True)
    colour = serializers.CharField(read_only=True)


class GroupDetailsSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)


class OnlineIdentityDetailsSerializer(serializers.Serializer):
    platform = serializers.CharField(read_only=True)
    handle = serializers.CharField(read_only=True)


def _details_of(kind: str, serializer_class: type[serializers.Serializer]) -> Callable[[Any, Entity], Any]:
    def get(self: Any, entity: Entity) -> Any:
        return serializer_class(entity_details(entity)).data if entity.kind == kind else None

    return extend_schema_field(serializer_class(allow_null=True))(get)


class MappingRecordDetailSerializer(MappingRecordSerializer):
    """The whole record: its kind's own details under the key of its kind (the others are null)."""

    notes = serializers.CharField(read_only=True)
    flag_reason = serializers.CharField(read_only=True, help_text="Why it needs disrupting")
    flagged_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    child = MappingChildSerializer(read_only=True, allow_null=True, help_text="For a child's node: the child")
    person = serializers.SerializerMethodField()
    location = serializers.SerializerMethodField()
    vehicle = serializers.SerializerMethodField()
    group = serializers.SerializerMethodField()
    online_identity = serializers.SerializerMethodField()

    get_person = _details_of(EntityKind.PERSON, PersonDetailsSerializer)
    get_location = _details_of(EntityKind.LOCATION, LocationDetailsSerializer)
    get_vehicle = _details_of(EntityKind.VEHICLE, VehicleDetailsSerializer)
    get_group = _details_of(EntityKind.GROUP, GroupDetailsSerializer)
    get_online_identity = _details_of(EntityKind.ONLINE_IDENTITY, OnlineIdentityDetailsSerializer)


class PossibleDuplicateSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)
    candidates = MappingRecordRefSerializer(
        many=True, read_only=True, help_text="The team's records like this one that you may see"
    )


class MappingConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)
    version = serializers.IntegerField(
        required=False, help_text="The record's current version (with a conflict): check it, then retry"
    )


class WithdrawnSerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="withdrawn_at", read_only=True)
    by = serializers.CharField(source="withdrawn_by.username", read_only=True)
    reason = serializers.CharField(source="withdrawn_reason", read_only=True)


class MappingLinkSerializer(serializers.Serializer):
    """`a` <kind> `b`: "child exploited by person", "person uses vehicle"."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    a = MappingRecordRefSerializer(read_only=True)
    b = MappingRecordRefSerializer(read_only=True)
    kind = LinkKindField(read_only=True)
    first_seen_on = serializers.DateField(read_only=True, allow_null=True)
    last_seen_on = serializers.DateField(read_only=True, allow_null=True)
    source_agency = serializers.CharField(source="source_agency.short_name", read_only=True)
    confidence = ConfidenceField(read_only=True)
    evidence = serializers.CharField(read_only=True)
    restricted_to_agency = serializers.CharField(
        source="restricted_to_agency.short_name", read_only=True, allow_null=True
    )
    created_at = serializers.DateTimeField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    updated_by = serializers.CharField(source="updated_by.username", read_only=True)
    withdrawn = serializers.SerializerMethodField(help_text="Who withdrew the link and why (null while it stands)")
    version = serializers.IntegerField(read_only=True)

    @extend_schema_field(WithdrawnSerializer(allow_null=True))
    def get_withdrawn(self, link: Link) -> Any:
        return WithdrawnSerializer(link).data if link.withdrawn_at is not None else None


# What an earlier state of a link said: left out (null) where that state was restricted to another agency.
REVISION_CONTENT = ("kind", "first_seen_on", "last_seen_on", "source_agency", "confidence", "evidence")


class LinkRevisionSerializer(serializers.Serializer):
    """An earlier state of a link. One that was restricted to another agency (police intelligence, before police
    shared the link) says only when it was recorded and by whom: what it said stays with that agency."""

    version = serializers.IntegerField(read_only=True)
    hidden = serializers.SerializerMethodField(help_text="Restricted to another agency: what it said is left out")
    kind = LinkKindField(read_only=True, allow_null=True)
    first_seen_on = serializers.DateField(read_only=True, allow_null=True)
    last_seen_on = serializers.DateField(read_only=True, allow_null=True)
    source_agency = serializers.CharField(source="source_agency.short_name", read_only=True, allow_null=True)
    confidence = ConfidenceField(read_only=True, allow_null=True)
    evidence = serializers.CharField(read_only=True, allow_null=True)
    restricted_to_agency = serializers.CharField(
        source="restricted_to_agency.short_name", read_only=True, allow_null=True
    )
    recorded_at = serializers.DateTimeField(read_only=True, help_text="When this state was recorded")
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    def get_hidden(self, revision: LinkRevision) -> bool:
        user: User | None = self.context.get("user")
        restricted = revision.restricted_to_agency_id
        return restricted is not None and (user is None or user.agency_id != restricted)

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        if data["hidden"]:
            data.update(dict.fromkeys(REVISION_CONTENT))
        return data


class MappingLinkDetailSerializer(MappingLinkSerializer):
    """A link with its history. Give the reader as `context["user"]`: without one, every restricted earlier state is
    left out."""

    revisions = serializers.SerializerMethodField(help_text="What the link said before each edit, newest first")

    @extend_schema_field(LinkRevisionSerializer(many=True))
    def get_revisions(self, link: Link) -> Any:
        return LinkRevisionSerializer(link_revisions(link=link), many=True, context=self.context).data


def _link_detail(user: User, link: Link) -> Any:
    return MappingLinkDetailSerializer(link, context={"user": user}).data


class NetworkNodeSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="The record's id (a child's node has its own)")
    kind = EntityKindField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field, not Field.label
    hops = serializers.IntegerField(read_only=True, help_text="Links from the start")
    restricted = serializers.BooleanField(read_only=True)


class NetworkLinkSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    # A field named "source": the stubs take it for Field.source; at run time the metaclass makes it a field.
    source = serializers.UUIDField(read_only=True, help_text="A node's id")  # type: ignore[assignment]
    target = serializers.UUIDField(read_only=True, help_text="A node's id")
    kind = LinkKindField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field, not Field.label
    first_seen_on = serializers.DateField(read_only=True, allow_null=True)
    last_seen_on = serializers.DateField(read_only=True, allow_null=True)
    confidence = ConfidenceField(read_only=True)
    restricted = serializers.BooleanField(read_only=True)


class NetworkSerializer(serializers.Serializer):
    start = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="The start's node id (null: a child with no links yet)"
    )
    hops = serializers.IntegerField(read_only=True)
    truncated = serializers.BooleanField(read_only=True, help_text="More records lay within reach than are shown")
    nodes = NetworkNodeSerializer(many=True, read_only=True)
    links = NetworkLinkSerializer(many=True, read_only=True)


class LinkedChildSerializer(serializers.Serializer):
    child = MappingChildSerializer(read_only=True)
    through = MappingRecordRefSerializer(
        many=True, read_only=True, help_text="The people, places... both children are linked to"
    )


class HotspotSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="location.public_id", read_only=True, help_text="The location's id")
    label = serializers.CharField(source="location.label", read_only=True)  # type: ignore[assignment]
    location_type = LocationTypeField(source="location.location_type", read_only=True)
    latitude = serializers.DecimalField(
        source="location.latitude",
        max_digits=9,
        decimal_places=6,
        coerce_to_string=False,
        read_only=True,
        allow_null=True,
    )
    longitude = serializers.DecimalField(
        source="location.longitude",
        max_digits=9,
        decimal_places=6,
        coerce_to_string=False,
        read_only=True,
        allow_null=True,
    )
    children = serializers.IntegerField(read_only=True, help_text="Children linked to it in the period")
    episodes = serializers.IntegerField(read_only=True, help_text="Missing episodes that involved it in the period")


class HotspotsSerializer(serializers.Serializer):
    since = serializers.DateField(read_only=True)
    until = serializers.DateField(read_only=True)
    hotspots = HotspotSerializer(many=True, read_only=True, help_text="Busiest first")


class MissingEpisodeSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    child = serializers.UUIDField(source="child.public_id", read_only=True, help_text="The child's id")
    started_at = serializers.DateTimeField(read_only=True)
    ended_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="When found (null: still missing)")
    where_found = serializers.CharField(read_only=True)
    found_at = MappingRecordRefSerializer(
        read_only=True, allow_null=True, help_text="The location the child was found at (null if not one you may see)"
    )
    return_interview_done = serializers.BooleanField(read_only=True)
    return_interview_on = serializers.DateField(read_only=True, allow_null=True)
    return_interview_by = serializers.CharField(read_only=True)
    notes = serializers.CharField(read_only=True)
    linked = MappingRecordRefSerializer(
        source="linked.all", many=True, read_only=True, help_text="People, places and vehicles involved"
    )
    created_at = serializers.DateTimeField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    version = serializers.IntegerField(read_only=True)


class InvestigationSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    reference = serializers.CharField(read_only=True, help_text="The crime or operation reference")
    summary = serializers.CharField(read_only=True)
    opened_on = serializers.DateField(read_only=True)
    closed_on = serializers.DateField(read_only=True, allow_null=True)
    lead_officer = serializers.CharField(source="lead_officer.username", read_only=True)
    lead_officer_name = serializers.CharField(source="lead_officer.display_name", read_only=True)
    perpetrators = MappingRecordRefSerializer(
        source="perpetrators.all", many=True, read_only=True, help_text="The people of concern you may see"
    )
    restricted_to_agency = serializers.CharField(
        source="restricted_to_agency.short_name", read_only=True, allow_null=True
    )
    version = serializers.IntegerField(read_only=True)


class InvestigationDetailSerializer(InvestigationSerializer):
    children = serializers.SerializerMethodField(help_text="The children you may see")

    @extend_schema_field(MappingChildSerializer(many=True))
    def get_children(self, investigation: Investigation) -> Any:
        user = self.context["user"]
        return MappingChildSerializer(investigation_children(user=user, investigation=investigation), many=True).data


class ProsecutionSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    perpetrator = MappingRecordRefSerializer(read_only=True)
    investigation = serializers.UUIDField(source="investigation.public_id", read_only=True, allow_null=True)
    charges = serializers.CharField(read_only=True)
    charged_on = serializers.DateField(read_only=True)
    court = serializers.CharField(read_only=True)
    outcome = ProsecutionOutcomeField(read_only=True)
    concluded_on = serializers.DateField(read_only=True, allow_null=True)
    outcome_notes = serializers.CharField(read_only=True, help_text="Sentence, reasons")
    restricted_to_agency = serializers.CharField(
        source="restricted_to_agency.short_name", read_only=True, allow_null=True
    )
    version = serializers.IntegerField(read_only=True)


class DisruptionSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = DisruptionKindField(read_only=True)
    target = MappingRecordRefSerializer(read_only=True)
    child = MappingChildSerializer(
        read_only=True, allow_null=True, help_text="The child a Child Abduction Warning Notice protects"
    )
    taken_on = serializers.DateField(read_only=True, help_text="Served or granted")
    expires_on = serializers.DateField(read_only=True, allow_null=True)
    details = serializers.CharField(read_only=True)
    outcome = DisruptionOutcomeField(read_only=True)
    outcome_on = serializers.DateField(read_only=True, allow_null=True)
    outcome_notes = serializers.CharField(read_only=True)
    restricted_to_agency = serializers.CharField(
        source="restricted_to_agency.short_name", read_only=True, allow_null=True
    )
    version = serializers.IntegerField(read_only=True)


class PackEndSerializer(serializers.Serializer):
    """The other end of a link in the pack: a child is only "a child", with no id and no name."""

    id = serializers.UUIDField(read_only=True, allow_null=True)
    kind = EntityKindField(read_only=True)
    label = serializers.CharField(read_only=True, allow_null=True)  # type: ignore[assignment]


class PackLinkSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, allow_null=True, help_text="Null for a link to a child")
    kind = LinkKindField(read_only=True)
    other = PackEndSerializer(read_only=True)
    first_seen_on = serializers.DateField(read_only=True, allow_null=True)
    last_seen_on = serializers.DateField(read_only=True, allow_null=True)
    confidence = ConfidenceField(read_only=True)
    source_agency = serializers.CharField(read_only=True)
    restricted_to_agency = serializers.CharField(
        read_only=True, allow_null=True, help_text="The agency the link or its other end is restricted to"
    )


class PackEntrySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    kind = EntityKindField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field, not Field.label
    flag_reason = serializers.CharField(read_only=True)
    flagged_at = serializers.DateTimeField(read_only=True, allow_null=True)
    restricted_to_agency = serializers.CharField(read_only=True, allow_null=True)
    links = PackLinkSerializer(many=True, read_only=True)


# What the API takes ------------------------------------------------------------------------------------------------


def _text(help_text: str = "", max_length: int = TEXT) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=max_length, help_text=help_text or None)


def _version() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, help_text="The version this change is based on: a 409 if someone has changed it since"
    )


def _today_if_not_given(help_text: str) -> serializers.DateField:
    return serializers.DateField(
        required=False, allow_null=True, default=None, help_text=f"{help_text}; today if not given"
    )


COMMON_RECORD_FIELDS = {"kind", "notes", "restricted", "not_a_duplicate", "version"}


class RecordFieldsSerializer(serializers.Serializer):
    """Every kind's fields: send those of the record's kind (another kind's field is a 400)."""

    notes = _text()
    first_name = _text("A person's", 100)
    last_name = _text("A person's", 100)
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, help_text="A person's: what they are known as"
    )
    date_of_birth = serializers.DateField(required=False, allow_null=True, help_text="A person's")
    description = _text("A person's appearance, or a group's description")
    identifiers = _text("A person's: Police National Computer number, phone numbers, other agencies' references")
    location_type = LocationTypeField(required=False, help_text="A location's")
    name = _text("A location's (a business's name) or a group's", 200)
    address = _text("A location's")
    postcode = _text("A location's", 10)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, help_text="A location's, with the longitude"
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, help_text="A location's, with the latitude"
    )
    registration = _text("A vehicle's, as seen", 20)
    make = _text("A vehicle's", 60)
    model = _text("A vehicle's", 60)
    colour = _text("A vehicle's", 40)
    platform = _text("An online identity's platform or app, such as Snapchat", 60)
    handle = _text("An online identity's username or handle", 200)

    def kind_fields(self, kind: str) -> tuple[str, ...]:
        return DETAIL_FIELDS[kind][1] if kind in DETAIL_FIELDS else ()

    def check_fields(self, kind: str) -> None:
        allowed = COMMON_RECORD_FIELDS | set(self.kind_fields(kind))
        given = getattr(self, "initial_data", {})
        other = sorted(name for name in given if name in self.fields and name not in allowed)
        if other:
            label = EntityKind(kind).label.lower()
            raise ValidationError({name: [f"Not a field of a {label}."] for name in other})


class RecordInputSerializer(RecordFieldsSerializer):
    kind = RecordKindField(help_text="What is being recorded: send that kind's fields")
    restricted = serializers.BooleanField(
        default=False, help_text="Restrict it to your agency (police intelligence to police)"
    )
    not_a_duplicate = serializers.BooleanField(
        default=False, help_text="You have looked at the records like it (a 409 listed them) and this is another one"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        self.check_fields(attrs["kind"])
        return attrs


class RecordUpdateInputSerializer(RecordFieldsSerializer):
    """A field left out keeps what is recorded."""

    version = _version()
    restricted = serializers.BooleanField(required=False, help_text="Restrict it to your agency, or lift that")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        self.check_fields(self.context["kind"])
        return attrs


class RecordQuerySerializer(serializers.Serializer):
    kind = RecordKindField(required=False, allow_blank=True, help_text="Only records of this kind")
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Names, aliases, addresses, registrations or handles",
    )


class FlagInputSerializer(serializers.Serializer):
    flagged = serializers.BooleanField(help_text="True to pass it to the meeting, false to take it off the list")
    reason = _text("Why it needs disrupting (when flagging)")
    version = _version()


class LinkEndInputSerializer(serializers.Serializer):
    """One end of a link: a record (any node of the network, a child's too) or a child. Exactly one."""

    record = serializers.UUIDField(required=False, allow_null=True, default=None, help_text="A record's id")
    child = serializers.UUIDField(required=False, allow_null=True, default=None, help_text="A child's id")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs["record"] is None) == (attrs["child"] is None):
            raise ValidationError("Give either a record's id or a child's id.")
        return attrs


class LinkFieldsSerializer(serializers.Serializer):
    kind = LinkKindField(help_text="a <kind> b: for example a child 'exploited by' a person")
    confidence = ConfidenceField()
    evidence = serializers.CharField(
        allow_blank=True, max_length=TEXT, help_text="What was seen or heard, by whom and when"
    )
    source_agency = serializers.CharField(
        required=False,
        max_length=30,
        help_text="The short name of the agency the information came from; yours if not given",
    )
    first_seen_on = serializers.DateField(required=False, allow_null=True)
    last_seen_on = serializers.DateField(required=False, allow_null=True)
    restricted = serializers.BooleanField(required=False, help_text="Restrict the link to your agency")


class LinkInputSerializer(LinkFieldsSerializer):
    a = LinkEndInputSerializer()
    b = LinkEndInputSerializer()


class LinkUpdateInputSerializer(LinkFieldsSerializer):
    """A field left out keeps what is recorded."""

    version = _version()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("kind", "confidence", "evidence"):
            self.fields[name].required = False


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=TEXT, help_text="Why")
    version = _version()


class NetworkQuerySerializer(serializers.Serializer):
    hops = serializers.IntegerField(
        required=False, default=DEFAULT_HOPS, min_value=1, max_value=MAX_HOPS, help_text="How many links out"
    )
    kind = serializers.ListField(
        child=LinkKindField(), required=False, default=list, help_text="Follow only links of these kinds (repeat)"
    )
    since = serializers.DateField(required=False, allow_null=True, default=None, help_text="Links seen since")
    until = serializers.DateField(required=False, allow_null=True, default=None, help_text="Links seen until")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["since"] and attrs["until"] and attrs["since"] > attrs["until"]:
            raise ValidationError({"until": ["The end of the period must be on or after its start."]})
        return attrs


class PeriodQuerySerializer(serializers.Serializer):
    since = serializers.DateField(required=False, allow_null=True, default=None, help_text="12 months ago if not given")
    until = serializers.DateField(required=False, allow_null=True, default=None, help_text="Today if not given")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        until = attrs["until"] or timezone.localdate()
        since = attrs["since"] or year_before(until)  # as the map page's period
        if since > until:
            raise ValidationError({"until": ["The end of the period must be on or after its start."]})
        return {"since": since, "until": until}


class EpisodeFieldsSerializer(serializers.Serializer):
    ended_at = ZonedDateTimeField(required=False, allow_null=True, help_text="When the child was found")
    where_found = _text("Where the child was found, in words")
    found_at = serializers.UUIDField(required=False, allow_null=True, help_text="The location record's id")
    return_interview_done = serializers.BooleanField(required=False)
    return_interview_on = serializers.DateField(required=False, allow_null=True)
    return_interview_by = _text("Who did the return interview, and their agency", 200)
    notes = _text()
    linked = serializers.ListField(
        child=serializers.UUIDField(), required=False, help_text="The ids of the people, places and vehicles involved"
    )


class EpisodeInputSerializer(EpisodeFieldsSerializer):
    started_at = ZonedDateTimeField(help_text="When the child went missing: an ISO 8601 date and time with its zone")


class EpisodeUpdateInputSerializer(EpisodeFieldsSerializer):
    """A field left out keeps what is recorded."""

    started_at = ZonedDateTimeField(required=False, help_text="When the child went missing")
    version = _version()


class InvestigationInputSerializer(serializers.Serializer):
    reference = serializers.CharField(allow_blank=True, max_length=60, help_text="The crime or operation reference")
    summary = serializers.CharField(allow_blank=True, max_length=TEXT, help_text="What is being investigated")
    opened_on = _today_if_not_given("The date it opened")
    lead_officer = serializers.CharField(
        required=False, allow_blank=True, max_length=150, help_text="A team member's username; you if not given"
    )
    children = serializers.ListField(child=serializers.UUIDField(), required=False, default=list)
    perpetrators = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, help_text="People of concern's record ids"
    )
    restricted = serializers.BooleanField(default=False, help_text="Restrict it to your agency")


class InvestigationCloseInputSerializer(serializers.Serializer):
    closed_on = _today_if_not_given("The date it closed")
    version = _version()


class ProsecutionInputSerializer(serializers.Serializer):
    perpetrator = serializers.UUIDField(help_text="The person of concern's record id")
    charges = serializers.CharField(allow_blank=True, max_length=TEXT)
    charged_on = serializers.DateField()
    court = _text(max_length=200)
    investigation = serializers.UUIDField(required=False, allow_null=True, default=None)
    restricted = serializers.BooleanField(default=False, help_text="Restrict it to your agency")


class ProsecutionConcludeInputSerializer(serializers.Serializer):
    outcome = ConcludedOutcomeField()
    concluded_on = _today_if_not_given("The date it concluded")
    notes = _text("Sentence, reasons")
    version = _version()


class DisruptionInputSerializer(serializers.Serializer):
    kind = DisruptionKindField()
    target = serializers.UUIDField(help_text="The record disrupted: a person, place, vehicle, group or identity")
    child = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="The child a Child Abduction Warning Notice protects"
    )
    taken_on = serializers.DateField(help_text="Served or granted")
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    details = _text()
    restricted = serializers.BooleanField(default=False, help_text="Restrict it to your agency")


class DisruptionOutcomeInputSerializer(serializers.Serializer):
    outcome = RecordedOutcomeField()
    outcome_on = _today_if_not_given("The date of the outcome")
    notes = _text()
    version = _version()


# Shared -------------------------------------------------------------------------------------------------------------


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _member(request: Request) -> User:
    """The caller, a member of the team; anyone else is refused (a 403: for a list or a new record)."""
    user = _user(request)
    if not may_map(user):
        raise PermissionDenied(TEAM_ONLY)
    return user


def _member_or_404(request: Request) -> User:
    """The caller, a member of the team; to anyone else a record's id is a 404, like a missing one."""
    user = _user(request)
    if not may_map(user):
        raise NotFound(NOT_FOUND)
    return user


def _record(request: Request, public_id: uuid.UUID) -> tuple[User, Entity]:
    user = _member_or_404(request)
    return user, entity_get_for_user(user=user, public_id=public_id)


def _restricted_to(user: User, restricted: bool | None, current: int | None = None) -> int | None:
    """`restricted`: to the caller's agency; left out (None): as it is. Someone of no agency cannot restrict: their
    record would otherwise be saved for the whole team while they believe it restricted."""
    if restricted is None:
        return current
    if restricted and user.agency_id is None:
        raise ValidationError({"restricted": ["You belong to no agency, so there is none to restrict it to."]})
    return user.agency_id if restricted else None


def _given_record(user: User, public_id: uuid.UUID, field: str, kind: str | None = None) -> Any:
    """A record named in the body, through the gate: one the caller may not see is bad input, never a hint."""
    try:
        entity = entity_get_for_user(user=user, public_id=public_id)
    except Http404:
        entity = None
    if entity is None or (kind is not None and entity.kind != kind):
        what = f"a {EntityKind(kind).label.lower()}" if kind else "a record"
        raise ValidationError({field: [f"Give the id of {what} you may see."]})
    return entity_details(entity) if kind is not None else entity


def _given_records(user: User, ids: Iterable[uuid.UUID], field: str, kind: str | None = None) -> list[Any]:
    return [_given_record(user, public_id, field, kind) for public_id in dict.fromkeys(ids)]


def _given_child(user: User, public_id: uuid.UUID, field: str) -> Child:
    try:
        return child_get_for_user(user=user, public_id=public_id, audit_what=None)
    except Http404:
        raise ValidationError({field: ["Give the id of a child you may see."]}) from None


def _child(request: Request, public_id: uuid.UUID) -> tuple[User, Child]:
    user = _member(request)
    return user, child_get_for_user(user=user, public_id=public_id, audit_what=None)


def _agency(user: User, short_name: str | None) -> Agency | None:
    if short_name is None:
        return user.agency
    return agencies_by_short_name(short_names=[short_name.strip()]).get(short_name.strip())


def _paginated(
    view: APIView,
    request: Request,
    rows: Any,
    serializer_class: type[serializers.Serializer],
    shown: Callable[[list[Any]], Iterable[Child]] | None = None,
    what: str = "",
) -> Response:
    """One page of `rows`; `shown` gives the children the page names or tells about, logged as listed (`what`)."""
    paginator = Pages()
    page: list[Any] = paginator.paginate_queryset(rows, request, view) or []
    if shown is not None:
        _children_shown(_user(request), shown(page), what)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def _children_shown(user: User, children: Iterable[Child | None], what: str) -> None:
    """Log the children a response names or tells about (once each)."""
    unique = {child.pk: child for child in children if child is not None}
    if unique:
        record_access(user=user, children=list(unique.values()), action=AccessAction.LISTED, what=what)


def _episode_children(episodes: Iterable[MissingEpisode]) -> list[Child]:
    """The children an episode names: its own, and any other child missing with them (`linked`, through the gate)."""
    children = []
    for episode in episodes:
        children.append(episode.child)
        children.extend(entity.child for entity in episode.linked.all() if entity.child is not None)
    return children


def _disruption_children(disruptions: Iterable[Disruption]) -> list[Child]:
    """The children disruptions name: the child a Child Abduction Warning Notice protects."""
    return [disruption.child for disruption in disruptions if disruption.child is not None]


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _record_detail(user: User, entity: Entity) -> Any:
    """A record read again after a change (already logged when first read)."""
    return MappingRecordDetailSerializer(entity_get_for_user(user=user, public_id=entity.public_id)).data


STALE_VERSION = OpenApiResponse(
    response=MappingConflictSerializer,
    description="The step cannot be taken now (the reason is given), or someone else changed the record after the "
    "version this change was based on (the current version is given). Nothing was changed.",
)
DUPLICATE = OpenApiResponse(
    response=PossibleDuplicateSerializer,
    description="The team already holds records like this one (those you may see are listed): look at them, then "
    "send it again with `not_a_duplicate: true` if it is another one. Nothing was changed.",
)


# Records ------------------------------------------------------------------------------------------------------------


class RecordListApi(APIView):
    pagination_class = Pages

    @extend_schema(
        parameters=[RecordQuerySerializer],
        responses=with_refusals({200: MappingRecordSerializer(many=True)}, 400, 403),
    )
    def get(self, request: Request) -> Response:
        """The team's people of concern, locations, vehicles, groups and online identities (children have their
        own list), best match first when searching. Records restricted to another agency are not there at all."""
        user = _member(request)
        query = _query(RecordQuerySerializer, request)
        rows = entities_for_user(user=user, kind=query.get("kind", ""), search=query.get("search", ""))
        return _paginated(self, request, rows, MappingRecordSerializer)

    @extend_schema(
        request=RecordInputSerializer,
        responses=with_refusals({201: MappingRecordDetailSerializer, 409: DUPLICATE}, 400, 403),
    )
    def post(self, request: Request) -> Response:
        """Record a person of concern, a location, a vehicle, a group or an online identity for the team: `kind`
        and that kind's fields. The team's records like it are checked first (similar names, the same postcode,
        registration or handle): a 409 lists them, and the record is made only when sent again with
        `not_a_duplicate`."""
        user = _member(request)
        data = valid_input(RecordInputSerializer, request)
        kind = data["kind"]
        try:
            entity = entity_record(
                by=user,
                kind=kind,
                details={field: data.get(field) for field in DETAIL_FIELDS[kind][1]},
                notes=data.get("notes", ""),
                restricted_to_agency_id=_restricted_to(user, data["restricted"]),
                not_a_duplicate=data["not_a_duplicate"],
            )
        except DjangoValidationError as error:
            raise invalid(error, RENAMED) from None
        except PossibleDuplicate as error:
            body = {
                "detail": "The team may already hold this record: look at these, then send it again with "
                "not_a_duplicate set to true if it is another one.",
                "candidates": MappingRecordRefSerializer(error.check.candidates, many=True).data,
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        except MappingRefused as error:
            return refused(error)
        return Response(_record_detail(user, entity), status=status.HTTP_201_CREATED)


class RecordDetailApi(APIView):
    @extend_schema(responses=with_refusals({200: MappingRecordDetailSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """A record with its kind's details (a child's node: the child)."""
        _, entity = _record(request, public_id)
        return Response(MappingRecordDetailSerializer(entity).data)

    @extend_schema(
        request=RecordUpdateInputSerializer,
        responses=with_refusals({200: MappingRecordDetailSerializer, 409: STALE_VERSION}, 400, 404),
    )
    def patch(self, request: Request, public_id: uuid.UUID) -> Response:
        """Change a record's details, notes or restriction (a field left out keeps what is recorded), based on the
        version you read. A child is changed on the child's record, not here (a 409)."""
        user, entity = _record(request, public_id)
        if entity.kind == EntityKind.CHILD:
            return refused(MappingRefused("A child is changed on the child's record, not here"))
        serializer = RecordUpdateInputSerializer(data=request.data, context={"kind": entity.kind})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        current = entity_details(entity)
        try:
            changed = entity_update(
                entity=entity,
                by=user,
                details={f: data[f] if f in data else getattr(current, f) for f in DETAIL_FIELDS[entity.kind][1]},
                notes=data.get("notes", entity.notes),
                restricted_to_agency_id=_restricted_to(user, data.get("restricted"), entity.restricted_to_agency_id),
                based_on_version=data["version"],
            )
        except DjangoValidationError as error:
            raise invalid(error, RENAMED) from None
        except (MappingRefused, MappingConflict) as error:
            return refused(error)
        return Response(_record_detail(user, changed))


class RecordFlagApi(APIView):
    @extend_schema(
        request=FlagInputSerializer,
        responses=with_refusals({200: MappingRecordDetailSerializer, 409: STALE_VERSION}, 400, 404),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Pass a group or a location to the weekly Intelligence Sharing Meeting for disruption, with the reason,
        or take it off the list."""
        user, entity = _record(request, public_id)
        data = valid_input(FlagInputSerializer, request)
        try:
            changed = entity_flag_for_disruption(
                entity=entity,
                by=user,
                flagged=data["flagged"],
                reason=data.get("reason", ""),
                based_on_version=data["version"],
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (MappingRefused, MappingConflict) as error:
            return refused(error)
        return Response(_record_detail(user, changed))


class RecordLinksApi(APIView):
    pagination_class = Pages

    @extend_schema(responses=with_refusals({200: MappingLinkSerializer(many=True)}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """The record's links you may see (both ends visible to you), newest first; withdrawn ones are left out."""
        user, entity = _record(request, public_id)
        return _paginated(self, request, links_for_entity(user=user, entity=entity), MappingLinkSerializer)


class RecordNetworkApi(APIView):
    @extend_schema(parameters=[NetworkQuerySerializer], responses=with_refusals({200: NetworkSerializer}, 400, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """The records within `hops` links of this one (2 if not given, at most 4), following only links of the
        kinds given (all if none) seen in the period; only records and links you may see, and never through a
        record you may not see. Worked out in the database."""
        user, entity = _record(request, public_id)
        query = _query(NetworkQuerySerializer, request)
        network = network_for_user(
            user=user,
            start=entity,
            hops=query["hops"],
            kinds=query["kind"],
            since=query["since"],
            until=query["until"],
        )
        return Response(network_as_json(network))


# Links --------------------------------------------------------------------------------------------------------------


def _link_input(user: User, data: dict[str, Any], link: Link | None = None) -> LinkInput:
    """The link's fields from the body; one left out keeps what `link` holds."""
    if "source_agency" in data:
        agency = _agency(user, data["source_agency"])
        if agency is None:
            raise ValidationError({"source_agency": ["Give the short name of an agency."]})
        source_agency_id: int | None = agency.pk
    else:
        source_agency_id = link.source_agency_id if link is not None else user.agency_id
    return LinkInput(
        kind=data.get("kind", link.kind if link is not None else ""),
        confidence=data.get("confidence", link.confidence if link is not None else ""),
        evidence=data.get("evidence", link.evidence if link is not None else ""),
        source_agency_id=source_agency_id,
        first_seen_on=data.get("first_seen_on", link.first_seen_on if link is not None else None),
        last_seen_on=data.get("last_seen_on", link.last_seen_on if link is not None else None),
        restricted_to_agency_id=_restricted_to(
            user, data.get("restricted"), link.restricted_to_agency_id if link is not None else None
        ),
    )


def _end(user: User, given: dict[str, Any], field: str) -> Entity:
    """A link's end: a record, or a child (whose node is made the first time the child is linked)."""
    if given["record"] is not None:
        entity: Entity = _given_record(user, given["record"], field)
        return entity
    return child_entity(child=_given_child(user, given["child"], field), by=user)


class LinkCreateApi(APIView):
    @extend_schema(
        request=LinkInputSerializer,
        responses=with_refusals({201: MappingLinkDetailSerializer}, 400, 403, 409),
    )
    def post(self, request: Request) -> Response:
        """Link two records, or a record and a child: `a` and `b` each give a record's id or a child's id. Reads
        "a <kind> b" (a child exploited by a person). A link about a child goes into the child's chronology."""
        user = _member(request)
        data = valid_input(LinkInputSerializer, request)
        given = _link_input(user, data)
        try:
            with transaction.atomic():  # a child's node made for a link that is then refused is not kept
                link = link_record(by=user, a=_end(user, data["a"], "a"), b=_end(user, data["b"], "b"), given=given)
        except DjangoValidationError as error:
            raise invalid(error, RENAMED) from None
        except MappingRefused as error:
            return refused(error)
        return Response(
            _link_detail(user, link_get_for_user(user=user, public_id=link.public_id)), status=status.HTTP_201_CREATED
        )


def _link(request: Request, public_id: uuid.UUID) -> tuple[User, Link]:
    user = _member_or_404(request)
    return user, link_get_for_user(user=user, public_id=public_id)


class LinkDetailApi(APIView):
    @extend_schema(responses=with_refusals({200: MappingLinkDetailSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """A link, with what it said before each edit and, once withdrawn, who withdrew it and why. Only when you
        may see both its ends."""
        user, link = _link(request, public_id)
        return Response(_link_detail(user, link))

    @extend_schema(
        request=LinkUpdateInputSerializer,
        responses=with_refusals({200: MappingLinkDetailSerializer, 409: STALE_VERSION}, 400, 404),
    )
    def patch(self, request: Request, public_id: uuid.UUID) -> Response:
        """Change a link (a field left out keeps what is recorded), based on the version you read: the state before
        the change is kept in its history. A withdrawn link is not changed (a 409): record a new one."""
        user, link = _link(request, public_id)
        data = valid_input(LinkUpdateInputSerializer, request)
        try:
            link_update(link=link, by=user, given=_link_input(user, data, link), based_on_version=data["version"])
        except DjangoValidationError as error:
            raise invalid(error, RENAMED) from None
        except (MappingRefused, MappingConflict) as error:
            return refused(error)
        return Response(_link_detail(user, link_get_for_user(user=user, public_id=public_id)))


class LinkWithdrawApi(APIView):
    @extend_schema(
        request=WithdrawInputSerializer,
        responses=with_refusals({200: MappingLinkDetailSerializer, 409: STALE_VERSION}, 400, 404),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Withdraw a link found to be wrong, saying why: it leaves the network and is kept with the reason."""
        user, link = _link(request, public_id)
        data = valid_input(WithdrawInputSerializer, request)
        try:
            link_withdraw(link=link, by=user, reason=data["reason"], based_on_version=data["version"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (MappingRefused, MappingConflict) as error:
            return refused(error)
        return Response(_link_detail(user, link_get_for_user(user=user, public_id=public_id)))


# A child's mapping --------------------------------------------------------------------------------------------------


class ChildNetworkApi(APIView):
    @extend_schema(
        parameters=[NetworkQuerySerializer], responses=with_refusals({200: NetworkSerializer}, 400, 403, 404)
    )
    def get(self, request: Request, child_id: uuid.UUID) -> Response:
        """The network around a child, as for a record. A child never linked has no node yet: the network is
        empty (`start` null, no nodes)."""
        user, child = _child(request, child_id)
        query = _query(NetworkQuerySerializer, request)
        start = child_entity_for(child_id=child.pk)
        if start is None:
            return Response({"start": None, "hops": query["hops"], "truncated": False, "nodes": [], "links": []})
        network = network_for_user(
            user=user, start=start, hops=query["hops"], kinds=query["kind"], since=query["since"], until=query["until"]
        )
        return Response(network_as_json(network))


class LinkedChildrenApi(APIView):
    @extend_schema(responses=with_refusals({200: LinkedChildSerializer(many=True)}, 403, 404))
    def get(self, request: Request, child_id: uuid.UUID) -> Response:
        """Other children linked to a person, place, vehicle, group or identity this child is linked to, with what
        links them. Only what you may see counts: a record hidden from you links nobody."""
        user, child = _child(request, child_id)
        return Response(LinkedChildSerializer(linked_children(user=user, child=child), many=True).data)


def _episode_input(user: User, data: dict[str, Any], episode: MissingEpisode | None = None) -> EpisodeInput:
    """The episode's fields from the body; one left out keeps what `episode` holds."""
    if "found_at" in data:
        found_at = _given_record(user, data["found_at"], "found_at", EntityKind.LOCATION) if data["found_at"] else None
    else:  # as recorded (one the caller may not see is kept by the service)
        found_at = episode.found_at if episode is not None else None
    if "linked" in data:
        linked = _given_records(user, data["linked"], "linked")
    else:  # as recorded (those the caller may not see are kept by the service whatever is given)
        linked = list(episode.linked.all()) if episode is not None else []
    current: dict[str, Any] = {}
    if episode is not None:
        fields = ("started_at", "ended_at", "where_found", "return_interview_done", "return_interview_on")
        current = {field: getattr(episode, field) for field in (*fields, "return_interview_by", "notes")}
    return EpisodeInput(
        started_at=data.get("started_at", current.get("started_at")),
        ended_at=data.get("ended_at", current.get("ended_at")),
        where_found=data.get("where_found", current.get("where_found", "")),
        found_at=found_at,
        return_interview_done=data.get("return_interview_done", current.get("return_interview_done", False)),
        return_interview_on=data.get("return_interview_on", current.get("return_interview_on")),
        return_interview_by=data.get("return_interview_by", current.get("return_interview_by", "")),
        notes=data.get("notes", current.get("notes", "")),
        linked=linked,
    )


def _episode_shown(user: User, public_id: uuid.UUID) -> Any:
    """An episode as the API shows it (its child logged by the selector; another child missing with them, here)."""
    episode = missing_episode_get_for_user(user=user, public_id=public_id)
    _children_shown(user, [entity.child for entity in episode.linked.all()], "missing episode (API)")
    return MissingEpisodeSerializer(episode).data


class MissingEpisodeListApi(APIView):
    pagination_class = Pages

    @extend_schema(responses=with_refusals({200: MissingEpisodeSerializer(many=True)}, 403, 404))
    def get(self, request: Request, child_id: uuid.UUID) -> Response:
        """The child's missing episodes, latest first."""
        user, child = _child(request, child_id)
        episodes = missing_episodes_for_child(user=user, child_id=child.pk)
        for episode in episodes:
            episode.child = child  # every one is this child's: no query per row for it
        what = "missing episodes (API)"
        return _paginated(self, request, episodes, MissingEpisodeSerializer, _episode_children, what)

    @extend_schema(
        request=EpisodeInputSerializer,
        responses=with_refusals({201: MissingEpisodeSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, child_id: uuid.UUID) -> Response:
        """Record a missing episode: when the child went missing and, once found, when and where, the return
        interview, and the people, places and vehicles involved. It goes into the child's chronology; three or
        more in the period flag the child."""
        user, child = _child(request, child_id)
        data = valid_input(EpisodeInputSerializer, request)
        try:
            episode = missing_episode_record(child=child, by=user, given=_episode_input(user, data))
        except DjangoValidationError as error:
            raise invalid(error) from None
        except MappingRefused as error:
            return refused(error)
        return Response(_episode_shown(user, episode.public_id), status=status.HTTP_201_CREATED)


class MissingEpisodeDetailApi(APIView):
    @extend_schema(responses=with_refusals({200: MissingEpisodeSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """A missing episode."""
        user = _member_or_404(request)
        return Response(_episode_shown(user, public_id))

    @extend_schema(
        request=EpisodeUpdateInputSerializer,
        responses=with_refusals({200: MissingEpisodeSerializer, 409: STALE_VERSION}, 400, 404),
    )
    def patch(self, request: Request, public_id: uuid.UUID) -> Response:
        """Record the child found, the return interview, or a correction (a field left out keeps what is
        recorded), based on the version you read."""
        user = _member_or_404(request)
        episode = missing_episode_get_for_user(user=user, public_id=public_id)
        data = valid_input(EpisodeUpdateInputSerializer, request)
        given = _episode_input(user, data, episode)
        try:
            missing_episode_update(episode=episode, by=user, given=given, based_on_version=data["version"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (MappingRefused, MappingConflict) as error:
            return refused(error)
        return Response(_episode_shown(user, public_id))


# Hotspots and the pack ----------------------------------------------------------------------------------------------


class HotspotsApi(APIView):
    @extend_schema(parameters=[PeriodQuerySerializer], responses=with_refusals({200: HotspotsSerializer}, 400, 403))
    def get(self, request: Request) -> Response:
        """The locations you may see with the number of children linked to them and of missing episodes that
        involved them in the period (the last 12 months if not given), busiest first, with their coordinates for
        a map (null where not recorded)."""
        user = _member(request)
        period = _query(PeriodQuerySerializer, request)
        found = hotspots(user=user, since=period["since"], until=period["until"])
        return Response(HotspotsSerializer({**period, "hotspots": found}).data)


def _pack_link(entity: Entity, link: Link) -> dict[str, Any]:
    other = link.b if link.a_id == entity.pk else link.a
    is_child = other.kind == EntityKind.CHILD
    return {
        "id": None if is_child else link.public_id,
        "kind": link.kind,
        "other": {
            "id": None if is_child else other.public_id,
            "kind": other.kind,
            "label": None if is_child else other.label,
        },
        "first_seen_on": link.first_seen_on,
        "last_seen_on": link.last_seen_on,
        "confidence": link.confidence,
        "source_agency": link.source_agency.short_name,
        "restricted_to_agency": _short_name(
            link.restricted_to_agency
            or other.restricted_to_agency
            or (other.child.restricted_to_agency if other.child is not None else None)
        ),
    }


def _short_name(agency: Agency | None) -> str | None:
    return agency.short_name if agency is not None else None


class IntelligencePackApi(APIView):
    @extend_schema(responses=with_refusals({200: PackEntrySerializer(many=True)}, 403))
    def get(self, request: Request) -> Response:
        """The Intelligence Sharing Meeting pack: the groups and locations flagged for disruption, each with its
        links you may see. The pack goes to a wider meeting: a child is only "a child", with no id and no name."""
        user = _member(request)
        entries = [
            {
                "id": entry.entity.public_id,
                "kind": entry.entity.kind,
                "label": entry.entity.label,
                "flag_reason": entry.entity.flag_reason,
                "flagged_at": entry.entity.flagged_at,
                "restricted_to_agency": _short_name(entry.entity.restricted_to_agency),
                "links": [_pack_link(entry.entity, link) for link in entry.links],
            }
            for entry in intelligence_pack(user=user)
        ]
        return Response(PackEntrySerializer(entries, many=True).data)


# Pursuit ------------------------------------------------------------------------------------------------------------


def _lead_officer(user: User, username: str) -> User:
    if not username.strip():
        return user
    person = user_get_active_by_username(username=username.strip())
    if person is None or person.team_id != user.team_id or not person.is_team_member:
        raise ValidationError({"lead_officer": ["Give the username of a member of the team."]})
    return person


class InvestigationListApi(APIView):
    pagination_class = Pages

    @extend_schema(responses=with_refusals({200: InvestigationSerializer(many=True)}, 403))
    def get(self, request: Request) -> Response:
        """The team's investigations you may see, latest opened first."""
        user = _member(request)
        return _paginated(self, request, investigations_for_user(user=user), InvestigationSerializer)

    @extend_schema(
        request=InvestigationInputSerializer,
        responses=with_refusals({201: InvestigationDetailSerializer}, 400, 403, 409),
    )
    def post(self, request: Request) -> Response:
        """Open an investigation about one or more children and people of concern. It goes into each child's
        chronology."""
        user = _member(request)
        data = valid_input(InvestigationInputSerializer, request)
        try:
            investigation = investigation_open(
                by=user,
                reference=data["reference"],
                summary=data["summary"],
                opened_on=data["opened_on"] or timezone.localdate(),
                lead_officer=_lead_officer(user, data.get("lead_officer", "")),
                children=[_given_child(user, child, "children") for child in dict.fromkeys(data["children"])],
                perpetrators=_given_records(user, data["perpetrators"], "perpetrators", EntityKind.PERSON),
                restricted_to_agency_id=_restricted_to(user, data["restricted"]),
            )
        except DjangoValidationError as error:
            raise invalid(error, RENAMED) from None
        except MappingRefused as error:
            return refused(error)
        shown = investigation_get_for_user(user=user, public_id=investigation.public_id)
        return Response(
            InvestigationDetailSerializer(shown, context={"user": user}).data, status=status.HTTP_201_CREATED
        )


class InvestigationDetailApi(APIView):
    @extend_schema(responses=with_refusals({200: InvestigationDetailSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """An investigation, with the children and people of concern you may see."""
        user = _member_or_404(request)
        investigation = investigation_get_for_user(user=user, public_id=public_id)
        return Response(InvestigationDetailSerializer(investigation, context={"user": user}).data)


class InvestigationCloseApi(APIView):
    @extend_schema(
        request=InvestigationCloseInputSerializer,
        responses=with_refusals({200: InvestigationDetailSerializer, 409: STALE_VERSION}, 400, 404),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Close an investigation (a 409 once closed)."""
        user = _member_or_404(request)
        investigation = investigation_get_for_user(user=user, public_id=public_id)
        data = valid_input(InvestigationCloseInputSerializer, request)
        try:
            investigation_close(
                investigation=investigation,
                by=user,
                closed_on=data["closed_on"] or timezone.localdate(),
                based_on_version=data["version"],
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (MappingRefused, MappingConflict) as error:
            return refused(error)
        shown = investigation_get_for_user(user=user, public_id=public_id)
        return Response(InvestigationDetailSerializer(shown, context={"user": user}).data)


class ProsecutionListApi(APIView):
    pagination_class = Pages

    @extend_schema(responses=with_refusals({200: ProsecutionSerializer(many=True)}, 403))
    def get(self, request: Request) -> Response:
        """The team's prosecutions you may see, latest charged first."""
        user = _member(request)
        return _paginated(self, request, prosecutions_for_user(user=user), ProsecutionSerializer)

    @extend_schema(
        request=ProsecutionInputSerializer,
        responses=with_refusals({201: ProsecutionSerializer}, 400, 403, 409),
    )
    def post(self, request: Request) -> Response:
        """Record charges against a person of concern, optionally from an investigation."""
        user = _member(request)
        data = valid_input(ProsecutionInputSerializer, request)
        perpetrator: PersonOfConcern = _given_record(user, data["perpetrator"], "perpetrator", EntityKind.PERSON)
        investigation = None
        if data["investigation"] is not None:
            try:
                investigation = investigation_get_for_user(user=user, public_id=data["investigation"])
            except Http404:
                raise ValidationError({"investigation": ["Give the id of an investigation you may see."]}) from None
        try:
            prosecution = prosecution_record(
                by=user,
                perpetrator=perpetrator,
                charges=data["charges"],
                charged_on=data["charged_on"],
                court=data.get("court", ""),
                investigation=investigation,
                restricted_to_agency_id=_restricted_to(user, data["restricted"]),
            )
        except DjangoValidationError as error:
            raise invalid(error, RENAMED) from None
        except MappingRefused as error:
            return refused(error)
        shown = prosecution_get_for_user(user=user, public_id=prosecution.public_id)
        return Response(ProsecutionSerializer(shown).data, status=status.HTTP_201_CREATED)


class ProsecutionDetailApi(APIView):
    @extend_schema(responses=with_refusals({200: ProsecutionSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """A prosecution and its outcome."""
        user = _member_or_404(request)
        return Response(ProsecutionSerializer(prosecution_get_for_user(user=user, public_id=public_id)).data)


class ProsecutionConcludeApi(APIView):
    @extend_schema(
        request=ProsecutionConcludeInputSerializer,
        responses=with_refusals({200: ProsecutionSerializer, 409: STALE_VERSION}, 400, 404),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Record how a prosecution concluded (a 409 once recorded)."""
        user = _member_or_404(request)
        prosecution = prosecution_get_for_user(user=user, public_id=public_id)
        data = valid_input(ProsecutionConcludeInputSerializer, request)
        try:
            prosecution_conclude(
                prosecution=prosecution,
                by=user,
                outcome=data["outcome"],
                concluded_on=data["concluded_on"] or timezone.localdate(),
                notes=data.get("notes", ""),
                based_on_version=data["version"],
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (MappingRefused, MappingConflict) as error:
            return refused(error)
        return Response(ProsecutionSerializer(prosecution_get_for_user(user=user, public_id=public_id)).data)


def _disruption_shown(user: User, public_id: uuid.UUID) -> Any:
    """A disruption as the API shows it, the child it protects (named) logged."""
    disruption = disruption_get_for_user(user=user, public_id=public_id)
    _children_shown(user, _disruption_children([disruption]), "disruption (API)")
    return DisruptionSerializer(disruption).data


class DisruptionListApi(APIView):
    pagination_class = Pages

    @extend_schema(responses=with_refusals({200: DisruptionSerializer(many=True)}, 403))
    def get(self, request: Request) -> Response:
        """The team's disruptions you may see, latest first."""
        user = _member(request)
        disruptions = disruptions_for_user(user=user)
        return _paginated(self, request, disruptions, DisruptionSerializer, _disruption_children, "disruptions (API)")

    @extend_schema(
        request=DisruptionInputSerializer,
        responses=with_refusals({201: DisruptionSerializer}, 400, 403, 409),
    )
    def post(self, request: Request) -> Response:
        """Record a disruption of a person, place, vehicle, group or online identity: a Child Abduction Warning
        Notice (naming the child it protects), a Sexual Risk Order, a Sexual Harm Prevention Order, a licensing
        action and so on."""
        user = _member(request)
        data = valid_input(DisruptionInputSerializer, request)
        target = _given_record(user, data["target"], "target")
        child = _given_child(user, data["child"], "child") if data["child"] is not None else None
        try:
            disruption = disruption_record(
                by=user,
                kind=data["kind"],
                target=target,
                taken_on=data["taken_on"],
                child=child,
                expires_on=data["expires_on"],
                details=data.get("details", ""),
                restricted_to_agency_id=_restricted_to(user, data["restricted"]),
            )
        except DjangoValidationError as error:
            raise invalid(error, RENAMED) from None
        except MappingRefused as error:
            return refused(error)
        return Response(_disruption_shown(user, disruption.public_id), status=status.HTTP_201_CREATED)


class DisruptionDetailApi(APIView):
    @extend_schema(responses=with_refusals({200: DisruptionSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """A disruption and its outcome."""
        user = _member_or_404(request)
        return Response(_disruption_shown(user, public_id))


class DisruptionOutcomeApi(APIView):
    @extend_schema(
        request=DisruptionOutcomeInputSerializer,
        responses=with_refusals({200: DisruptionSerializer, 409: STALE_VERSION}, 400, 404),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Record a disruption's outcome: complied with, breached, expired... (a 409 once recorded)."""
        user = _member_or_404(request)
        disruption = disruption_get_for_user(user=user, public_id=public_id)
        data = valid_input(DisruptionOutcomeInputSerializer, request)
        try:
            disruption_outcome_record(
                disruption=disruption,
                by=user,
                outcome=data["outcome"],
                outcome_on=data["outcome_on"] or timezone.localdate(),
                notes=data.get("notes", ""),
                based_on_version=data["version"],
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (MappingRefused, MappingConflict) as error:
            return refused(error)
        return Response(_disruption_shown(user, public_id))
