"""The children missing often in a period, read from an index alone. Built concurrently: episodes stay writable."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("mapping", "0002_link_child_place"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="missingepisode",
            index=models.Index(fields=["started_at"], include=["child"], name="mapping_missing_started"),
        ),
    ]
