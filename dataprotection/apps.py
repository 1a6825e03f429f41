from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    """What a data protection officer needs: subject access exports, retention reviews and legal holds."""

    name = "dataprotection"
    verbose_name = "Data protection"
