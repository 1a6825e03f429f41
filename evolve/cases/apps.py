from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "evolve.cases"
    label = "cases"
    verbose_name = "Evolve cases"

    def ready(self) -> None:
        # Registers the case and note access policies with the gate.
        from evolve.cases import permissions  # noqa: F401
