"""Mapping and pursuit (DESIGN.md, "Mapping and intelligence"; seed 000 paragraphs 14, 16, 45, 48-50; seed 001's
victim, offender and location analysis).

Every record the team maps is an `Entity`: a person of concern, a location, a vehicle, a group, an online identity,
or a child (a child's entity only stands for the child in the network; the child's record stays in
`evolve.people`). The kinds with details of their own extend `Entity` (one table each, joined on the entity's key),
so a `Link` joins any two entities and the network is one recursive query over one table of links
(docs/adr/0010-mapping-network.md).

Police intelligence is restricted to police by `restricted_to_agency`, on an entity or on a link: the gate hides the
record, and the network never walks through what the user may not see.

Writes go through `mapping.services`, reads through `mapping.selectors`; other apps import only those two.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q


class EntityKind(models.TextChoices):
    CHILD = "child", "Child"
    PERSON = "person", "Person of concern"
    LOCATION = "location", "Location"
    VEHICLE = "vehicle", "Vehicle"
    GROUP = "group", "Group"
    ONLINE_IDENTITY = "online_identity", "Online identity"


class Entity(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=EntityKind.choices)
    # The team whose mapping this is. A child's entity has the team that first linked the child.
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    child = models.OneToOneField(
        "people.Child", on_delete=models.PROTECT, null=True, blank=True, related_name="mapping_entity"
    )
    # What the network and lists show: a name, an address, a registration. Empty for a child (the child's record
    # holds the name, and shows it only to those who may see it).
    label = models.CharField(max_length=300, blank=True)
    # Lower-cased names, aliases, addresses or handles, for the duplicate check and search (pg_trgm).
    search_text = models.TextField(blank=True, default="")
    restricted_to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Groups and locations passed to the weekly Intelligence Sharing Meeting for disruption.
    flagged_for_disruption = models.BooleanField(default=False)
    flag_reason = models.TextField(blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)
    flagged_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "entities"
        indexes = [
            GinIndex(fields=["search_text"], name="mapping_entity_search_trgm", opclasses=["gin_trgm_ops"]),
            models.Index(fields=["team", "kind"], name="mapping_entity_team_kind"),
            models.Index(fields=["team"], name="mapping_entity_flagged", condition=Q(flagged_for_disruption=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=EntityKind.CHILD) & Q(child__isnull=False))
                | (~Q(kind=EntityKind.CHILD) & Q(child__isnull=True)),
                name="mapping_entity_child_iff_child_kind",
            ),
        ]

    def __str__(self) -> str:
        # Never the label: str() ends up in logs.
        return f"{self.get_kind_display()} {self.public_id}"


class PersonOfConcern(Entity):
    """A suspected perpetrator."""

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    aliases = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True, help_text="Appearance, distinguishing features")
    # Police National Computer number, phone numbers, other agencies' references.
    identifiers = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "people of concern"


class LocationType(models.TextChoices):
    HOME_ADDRESS = "home_address", "Home address"
    HOTEL = "hotel", "Hotel or bed and breakfast"
    TAKEAWAY = "takeaway", "Takeaway or food outlet"
    TAXI_FIRM = "taxi_firm", "Taxi firm"
    LICENSED_PREMISES = "licensed_premises", "Licensed premises"
    PARK = "park", "Park or open space"
    SCHOOL = "school", "School or college"
    SHOP = "shop", "Shop or shopping centre"
    TRANSPORT = "transport", "Bus or railway station"
    OTHER = "other", "Other"


class Location(Entity):
    location_type = models.CharField(max_length=30, choices=LocationType.choices)
    name = models.CharField(max_length=200, blank=True, help_text="A business's name")
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)  # normalised: upper case, one space
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="mapping_location_coordinates_both_and_valid",
            ),
        ]


class Vehicle(Entity):
    registration = models.CharField(max_length=20, blank=True)  # as given
    registration_normalised = models.CharField(max_length=20, blank=True, db_index=True)  # "AB12CDE"
    make = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=60, blank=True)
    colour = models.CharField(max_length=40, blank=True)


class Group(Entity):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)


class OnlineIdentity(Entity):
    platform = models.CharField(max_length=60)
    handle = models.CharField(max_length=200)
    handle_normalised = models.CharField(max_length=200, db_index=True)  # lower case, no leading "@"

    class Meta:
        verbose_name_plural = "online identities"


class LinkKind(models.TextChoices):
    ASSOCIATES_WITH = "associates_with", "Associates with"
    SEEN_AT = "seen_at", "Seen at"
    EXPLOITED_BY = "exploited_by", "Exploited by"
    TRANSPORTED_IN = "transported_in", "Transported in"
    MEMBER_OF = "member_of", "Member of"
    LIVES_AT = "lives_at", "Lives at"
    WORKS_AT = "works_at", "Works at or runs"
    USES = "uses", "Uses (vehicle, online identity)"
    CONTACTED_BY = "contacted_by", "Contacted by"
    RELATED_TO = "related_to", "Related to"


class Confidence(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    PROBABLE = "probable", "Probable"
    POSSIBLE = "possible", "Possible"
    UNVERIFIED = "unverified", "Unverified"


class Link(models.Model):
    """`a` <kind> `b`: "child exploited by person", "person uses vehicle". Editing keeps the previous state as a
    `LinkRevision`; withdrawing keeps the link and says who withdrew it and why."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    a = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="links_out")
    b = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="links_in")
    kind = models.CharField(max_length=30, choices=LinkKind.choices)
    first_seen_on = models.DateField(null=True, blank=True)
    last_seen_on = models.DateField(null=True, blank=True)
    source_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    confidence = models.CharField(max_length=20, choices=Confidence.choices)
    evidence = models.TextField()
    restricted_to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    withdrawn_reason = models.TextField(blank=True)
    # Between a child and a location, either way round: set when the link is made (a record's kind never changes),
    # so the hotspot map reads only these links through its own index instead of every link of the team.
    child_place = models.BooleanField(default=False, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["a"], name="mapping_link_a", condition=Q(withdrawn_at__isnull=True)),
            models.Index(fields=["b"], name="mapping_link_b", condition=Q(withdrawn_at__isnull=True)),
            models.Index(
                fields=["team", "first_seen_on"],
                condition=Q(child_place=True, withdrawn_at__isnull=True),
                name="mapping_link_child_place",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(a=models.F("b")), name="mapping_link_not_to_itself"),
            models.CheckConstraint(
                condition=Q(first_seen_on__isnull=True)
                | Q(last_seen_on__isnull=True)
                | Q(first_seen_on__lte=models.F("last_seen_on")),
                name="mapping_link_seen_in_order",
            ),
            # Once per team, kind and restriction: a link restricted to police never stops another agency from
            # recording the same link (refusing would tell them police hold it), nor does another team's link.
            models.UniqueConstraint(
                fields=["team", "a", "b", "kind"],
                condition=Q(withdrawn_at__isnull=True, restricted_to_agency__isnull=True),
                name="mapping_link_once",
            ),
            models.UniqueConstraint(
                fields=["team", "a", "b", "kind", "restricted_to_agency"],
                condition=Q(withdrawn_at__isnull=True, restricted_to_agency__isnull=False),
                name="mapping_link_once_restricted",
            ),
        ]

    def __str__(self) -> str:
        return f"Link {self.public_id}"


class LinkRevision(models.Model):
    """A link as it stood before an edit: written once by `link_update`, never changed."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=30, choices=LinkKind.choices)
    first_seen_on = models.DateField(null=True, blank=True)
    last_seen_on = models.DateField(null=True, blank=True)
    source_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    confidence = models.CharField(max_length=20, choices=Confidence.choices)
    evidence = models.TextField()
    restricted_to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(help_text="When this state was recorded")
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["link", "version"], name="mapping_link_revision_once")]

    def __str__(self) -> str:
        return f"Link {self.link_id} version {self.version}"


class MissingEpisode(models.Model):
    """A child missing from home or care: start, end, where found, the return interview, and who and where it
    involved. Three or more in a period flags the child (`mapping.selectors.missing_flagged_child_ids`)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="missing_episodes")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    where_found = models.TextField(blank=True)
    found_at = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    return_interview_done = models.BooleanField(default=False)
    return_interview_on = models.DateField(null=True, blank=True)
    return_interview_by = models.CharField(max_length=200, blank=True, help_text="Who did it, and their agency")
    notes = models.TextField(blank=True)
    linked = models.ManyToManyField(Entity, blank=True, related_name="missing_episodes")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["child", "-started_at"], name="mapping_missing_child_start"),
            # The children missing often in a period (the daily review's flag), read from the index alone.
            models.Index(fields=["started_at"], include=["child"], name="mapping_missing_started"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="mapping_missing_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(return_interview_done=True) | Q(return_interview_on__isnull=True),
                name="mapping_missing_interview_date_only_when_done",
            ),
        ]

    def __str__(self) -> str:
        return f"Missing episode {self.public_id}"


class Investigation(models.Model):
    """A police investigation: about one or more children and one or more people of concern (measures 4 and 5)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=60, help_text="The crime or operation reference")
    summary = models.TextField()
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    lead_officer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    children = models.ManyToManyField("people.Child", blank=True, related_name="investigations")
    perpetrators = models.ManyToManyField(PersonOfConcern, blank=True, related_name="investigations")
    restricted_to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["team", "opened_on"], name="mapping_investigation_opened")]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="mapping_investigation_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"Investigation {self.public_id}"


class ProsecutionOutcome(models.TextChoices):
    PENDING = "pending", "Not yet concluded"
    CONVICTED = "convicted", "Convicted"
    ACQUITTED = "acquitted", "Acquitted"
    DISCONTINUED = "discontinued", "Discontinued"
    NO_FURTHER_ACTION = "no_further_action", "No further action after charge"
    OTHER = "other", "Other outcome"


class Prosecution(models.Model):
    """Charges against a person of concern (measure 6 when charged; measure 8 when concluded)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    investigation = models.ForeignKey(
        Investigation, on_delete=models.PROTECT, null=True, blank=True, related_name="prosecutions"
    )
    perpetrator = models.ForeignKey(PersonOfConcern, on_delete=models.PROTECT, related_name="prosecutions")
    charges = models.TextField()
    charged_on = models.DateField()
    court = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=30, choices=ProsecutionOutcome.choices, default=ProsecutionOutcome.PENDING)
    concluded_on = models.DateField(null=True, blank=True)
    outcome_notes = models.TextField(blank=True, help_text="Sentence, reasons")
    restricted_to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-charged_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(outcome=ProsecutionOutcome.PENDING) & Q(concluded_on__isnull=True))
                # isnull=False as well: a NULL comparison would let the check pass (a CHECK fails only on false).
                | (
                    ~Q(outcome=ProsecutionOutcome.PENDING)
                    & Q(concluded_on__isnull=False)
                    & Q(concluded_on__gte=models.F("charged_on"))
                ),
                name="mapping_prosecution_concluded_with_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"Prosecution {self.public_id}"


class DisruptionKind(models.TextChoices):
    CAWN = "cawn", "Child Abduction Warning Notice"
    SRO = "sro", "Sexual Risk Order"
    SHPO = "shpo", "Sexual Harm Prevention Order"
    LICENSING = "licensing", "Licensing review or enforcement"
    CLOSURE_ORDER = "closure_order", "Closure order"
    PATROL_PLAN = "patrol_plan", "Patrol plan"
    ARREST = "arrest", "Arrest or bail conditions"
    OTHER = "other", "Other tactic"


class DisruptionOutcome(models.TextChoices):
    IN_FORCE = "in_force", "In force (no outcome yet)"
    COMPLIED = "complied", "Complied with"
    BREACHED = "breached", "Breached"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked or discharged"
    REFUSED = "refused", "Refused by the court"


class Disruption(models.Model):
    """A disruption of a person, place or vehicle (measure 7 when served or granted; measure 9 when its outcome is
    recorded). A Child Abduction Warning Notice names the child it protects."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=DisruptionKind.choices)
    target = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="disruptions")
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    taken_on = models.DateField(help_text="Served or granted")
    expires_on = models.DateField(null=True, blank=True)
    details = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=DisruptionOutcome.choices, default=DisruptionOutcome.IN_FORCE)
    outcome_on = models.DateField(null=True, blank=True)
    outcome_notes = models.TextField(blank=True)
    restricted_to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-taken_on", "-id"]
        indexes = [models.Index(fields=["team", "taken_on"], name="mapping_disruption_taken")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(outcome=DisruptionOutcome.IN_FORCE) & Q(outcome_on__isnull=True))
                | (
                    ~Q(outcome=DisruptionOutcome.IN_FORCE)
                    & Q(outcome_on__isnull=False)
                    & Q(outcome_on__gte=models.F("taken_on"))
                ),
                name="mapping_disruption_outcome_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"Disruption {self.public_id}"
