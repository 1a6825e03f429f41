"""The roles in DESIGN.md, named once. A user holds one or more."""

from django.db import models


class Role(models.TextChoices):
    REFERRER = "referrer", "Referrer"
    CASE_HOLDING_SOCIAL_WORKER = "case_holding_social_worker", "Case-holding social worker"
    SPOC_WORKER = "spoc_worker", "SPOC worker"
    TRIAGE_WORKER = "triage_worker", "Triage worker"
    TRIAGE_MANAGER = "triage_manager", "Triage manager"
    MASH_WORKER = "mash_worker", "MASH worker"
    TEAM_MANAGER = "team_manager", "Evolve team manager"
    DETECTIVE_SERGEANT = "detective_sergeant", "Detective sergeant"
    PRACTITIONER = "practitioner", "Evolve practitioner"
    HEAD_OF_SERVICE = "head_of_service", "Head of Service"
    SERVICE_MANAGER = "service_manager", "Service manager, detective inspector or clinical manager"
    GOVERNANCE = "governance", "Governance group"
    ADMINISTRATOR = "administrator", "Administrator"


# Members of the Evolve team itself: they see the children open to their team.
TEAM_ROLES = frozenset({Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT, Role.PRACTITIONER})
# The front door: they receive, screen and log contacts about children.
FRONT_DOOR_ROLES = frozenset({Role.SPOC_WORKER, Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER, Role.MASH_WORKER})
# Managers who oversee records and may read a child's access report.
MANAGER_ROLES = frozenset({Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT, Role.HEAD_OF_SERVICE, Role.SERVICE_MANAGER})
# Roles that may record a child.
CHILD_RECORDING_ROLES = TEAM_ROLES | FRONT_DOOR_ROLES | {Role.CASE_HOLDING_SOCIAL_WORKER}
# Who reads the monthly reports (aggregates only): the team's own managers, and the area's oversight.
REPORT_OWNER_ROLES = (Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT)
REPORT_OVERSIGHT_ROLES = (Role.GOVERNANCE, Role.HEAD_OF_SERVICE, Role.SERVICE_MANAGER)
