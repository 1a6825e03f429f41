from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "evolve.audit"
    label = "audit"
    verbose_name = "Access log"
