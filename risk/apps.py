from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "risk"

    def ready(self) -> None:
        # Registers the risk assessment's access policy with the gate.
        from risk import permissions  # noqa: F401
