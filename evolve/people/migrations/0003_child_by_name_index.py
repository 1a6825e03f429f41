"""The list of children by name reads this index a page at a time. Built concurrently: the children stay writable
while it builds."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("people", "0002_current_postcode_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="child",
            index=models.Index(fields=["last_name", "first_name", "id"], name="child_by_name"),
        ),
    ]
