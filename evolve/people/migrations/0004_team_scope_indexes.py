"""Index-only reads for the team row rule: a team's children, and the children restricted to an agency. Built
concurrently: the children stay writable while they build."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("people", "0003_child_by_name_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="child",
            index=models.Index(fields=["open_to_team"], include=["id"], name="child_team_members"),
        ),
        AddIndexConcurrently(
            model_name="child",
            index=models.Index(
                condition=models.Q(restricted_to_agency__isnull=False),
                fields=["restricted_to_agency"],
                include=["id"],
                name="child_restricted",
            ),
        ),
    ]
