from django.apps import AppConfig


class MappingConfig(AppConfig):
    name = "mapping"

    def ready(self) -> None:
        # Registers the mapping records' access policies with the gate.
        from mapping import permissions  # noqa: F401
