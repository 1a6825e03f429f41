from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    """What a data protection officer needs: subject access exports, retention reviews and legal holds."""

    name = "dataprotection"
    verbose_name = "Data protection"

    def ready(self) -> None:
        # Registers the data protection records' access policies with the gate.
        from dataprotection import permissions  # noqa: F401
