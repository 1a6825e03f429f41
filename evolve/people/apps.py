from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "evolve.people"
    label = "people"
    verbose_name = "Children"

    def ready(self) -> None:
        # Registers the child's access policy with the gate.
        from evolve.people import permissions  # noqa: F401
