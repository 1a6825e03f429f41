"""Explicit per-object grants (django-guardian), with a real foreign key so scopes join instead of casting ids.

Only evolve.access imports guardian: everything else asks the gate (evolve.access.gate) or the grant services.
"""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class ChildUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("people.Child", on_delete=models.CASCADE, related_name="user_grants")


class ChildGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("people.Child", on_delete=models.CASCADE, related_name="group_grants")
