"""The API's referral list, newest first, reads this index a page at a time. Built concurrently: a force's million
referrals stay writable while it builds."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("referrals", "0004_decided_by_evolve"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="referral",
            index=models.Index(fields=["-created_at", "-id"], name="referral_newest_first"),
        ),
    ]
