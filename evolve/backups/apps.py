from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "evolve.backups"
    label = "backups"
