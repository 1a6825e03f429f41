"""Mark the links between a child and a location (either way round) so the hotspot map reads only those, through
their own index, instead of every link of the team. Existing links are marked from their ends' kinds, which never
change."""

from django.db import migrations, models

MARK = """
UPDATE mapping_link AS link SET child_place = true
FROM mapping_entity AS a, mapping_entity AS b
WHERE a.id = link.a_id AND b.id = link.b_id
  AND ((a.kind = 'child' AND b.kind = 'location') OR (a.kind = 'location' AND b.kind = 'child'))
"""


class Migration(migrations.Migration):
    dependencies = [
        ("mapping", "0001_mapping_records"),
    ]

    operations = [
        migrations.AddField(
            model_name="link",
            name="child_place",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunSQL(MARK, reverse_sql=migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="link",
            index=models.Index(
                condition=models.Q(("child_place", True), ("withdrawn_at__isnull", True)),
                fields=["team", "first_seen_on"],
                name="mapping_link_child_place",
            ),
        ),
    ]
