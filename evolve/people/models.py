"""Children: who they are, the names they are known by, where they have lived and how other agencies know them."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Replace, Upper


class Gender(models.TextChoices):
    GIRL = "girl", "Girl"
    BOY = "boy", "Boy"
    OTHER = "other", "Describes themselves another way"
    NOT_KNOWN = "not_known", "Not known"


class Ethnicity(models.TextChoices):
    """The Department for Education's main ethnicity categories (as used in the Children in Need census)."""

    WHITE_BRITISH = "WBRI", "White: British"
    WHITE_IRISH = "WIRI", "White: Irish"
    TRAVELLER_IRISH_HERITAGE = "WIRT", "White: Traveller of Irish heritage"
    GYPSY_ROMA = "WROM", "White: Gypsy or Roma"
    WHITE_OTHER = "WOTH", "White: any other White background"
    MIXED_WHITE_BLACK_CARIBBEAN = "MWBC", "Mixed: White and Black Caribbean"
    MIXED_WHITE_BLACK_AFRICAN = "MWBA", "Mixed: White and Black African"
    MIXED_WHITE_ASIAN = "MWAS", "Mixed: White and Asian"
    MIXED_OTHER = "MOTH", "Mixed: any other mixed background"
    ASIAN_INDIAN = "AIND", "Asian or Asian British: Indian"
    ASIAN_PAKISTANI = "APKN", "Asian or Asian British: Pakistani"
    ASIAN_BANGLADESHI = "ABAN", "Asian or Asian British: Bangladeshi"
    ASIAN_OTHER = "AOTH", "Asian or Asian British: any other Asian background"
    BLACK_CARIBBEAN = "BCRB", "Black or Black British: Caribbean"
    BLACK_AFRICAN = "BAFR", "Black or Black British: African"
    BLACK_OTHER = "BOTH", "Black or Black British: any other Black background"
    CHINESE = "CHNE", "Chinese"
    OTHER = "OOTH", "Any other ethnic group"
    REFUSED = "REFU", "Refused"
    NOT_OBTAINED = "NOBT", "Information not yet obtained"


class LookedAfterStatus(models.TextChoices):
    NOT_LOOKED_AFTER = "not_looked_after", "Not looked after"
    VOLUNTARY_SECTION_20 = "section_20", "Looked after: voluntary accommodation (section 20)"
    CARE_ORDER = "care_order", "Looked after: care order (section 31)"
    INTERIM_CARE_ORDER = "interim_care_order", "Looked after: interim care order (section 38)"
    CARE_LEAVER = "care_leaver", "Care leaver"
    NOT_KNOWN = "not_known", "Not known"


class Child(models.Model):
    """A child known to the team or to the front door. `public_id` is what URLs and the API show."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(max_length=100)
    middle_names = models.CharField(max_length=200, blank=True)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    # Where the date of birth is not known: an estimated age in years, as at the date it was estimated.
    estimated_age = models.PositiveSmallIntegerField(null=True, blank=True)
    age_estimated_on = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=20, choices=Gender.choices, default=Gender.NOT_KNOWN)
    ethnicity = models.CharField(max_length=4, choices=Ethnicity.choices, default=Ethnicity.NOT_OBTAINED)
    school = models.CharField(max_length=200, blank=True)
    looked_after_status = models.CharField(
        max_length=30, choices=LookedAfterStatus.choices, default=LookedAfterStatus.NOT_KNOWN
    )
    looked_after_by = models.CharField(max_length=200, blank=True, help_text="The local authority looking after")
    # Every name the child is known by, lower-cased, for fuzzy search (pg_trgm). Kept by the services.
    search_names = models.TextField(editable=False, default="")
    # The team the child is open to; the Evolve casework issue opens and closes cases through its services.
    open_to_team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="open_children"
    )
    # A record restricted to one agency is seen only by that agency's team members and by explicit grants.
    restricted_to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="restricted_children"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "children"
        permissions = [("view_child_record", "May view this child's record (an explicit grant)")]
        indexes = [
            GinIndex(fields=["search_names"], name="child_search_names_trgm", opclasses=["gin_trgm_ops"]),
            models.Index(fields=["open_to_team", "restricted_to_agency"], name="child_team_scope"),
            models.Index(fields=["date_of_birth"], name="child_date_of_birth"),
            # The list of children by name, a page at a time (evolve.people.api.ChildListApi).
            models.Index(fields=["last_name", "first_name", "id"], name="child_by_name"),
            # Read without the table (index-only): a team's children, and the few restricted to an agency, which the
            # row rule of every team page checks (evolve.access.grants.team_work_scope).
            models.Index(fields=["open_to_team"], include=["id"], name="child_team_members"),
            models.Index(
                fields=["restricted_to_agency"],
                include=["id"],
                name="child_restricted",
                condition=models.Q(restricted_to_agency__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        # Deliberately not the name: str() ends up in logs and error reports.
        return f"Child {self.public_id}"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_names, self.last_name) if part)

    def age_on(self, on: date) -> int | None:
        if self.date_of_birth:
            born = self.date_of_birth
            return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        if self.estimated_age is not None and self.age_estimated_on:
            return self.estimated_age + (on - self.age_estimated_on).days // 365
        return None


class ChildAlias(models.Model):
    class Kind(models.TextChoices):
        ALIAS = "alias", "Alias"
        NICKNAME = "nickname", "Nickname or street name"
        PREVIOUS_NAME = "previous_name", "Previous name"
        SPELLING = "spelling", "Other spelling"

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ALIAS)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "child aliases"

    def __str__(self) -> str:
        return f"Alias {self.pk} of child {self.child_id}"


class ChildAddress(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="addresses")
    line_1 = models.CharField(max_length=200)
    line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    lived_from = models.DateField(null=True, blank=True)
    lived_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-lived_from"]
        verbose_name_plural = "child addresses"
        indexes = [
            # The daily review's "children at the same address" looks current addresses up by normalised postcode
            # (evolve.people.selectors.children_at_same_address); without this it reads every address in the area.
            models.Index(
                Upper(Replace("postcode", models.Value(" "), models.Value(""))),
                condition=models.Q(lived_to__isnull=True),
                name="childaddress_current_postcode",
            ),
        ]

    def __str__(self) -> str:
        return f"Address {self.pk} of child {self.child_id}"

    @property
    def is_current(self) -> bool:
        return self.lived_to is None

    def one_line(self) -> str:
        return ", ".join(part for part in (self.line_1, self.line_2, self.town, self.postcode) if part)


class ChildIdentifier(models.Model):
    """How another agency's system knows the child: NHS number, police system id, social care id, pupil number."""

    class System(models.TextChoices):
        NHS_NUMBER = "nhs_number", "NHS number"
        POLICE = "police", "Police system reference"
        SOCIAL_CARE = "social_care", "Children's social care reference"
        EDUCATION = "education", "Unique pupil number"
        OTHER = "other", "Other"

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="identifiers")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    system = models.CharField(max_length=20, choices=System.choices)
    value = models.CharField(max_length=100)

    class Meta:
        ordering = ["system"]
        constraints = [
            models.UniqueConstraint(fields=["child", "system", "value"], name="child_identifier_unique"),
        ]

    def __str__(self) -> str:
        return f"Identifier {self.pk} of child {self.child_id}"
