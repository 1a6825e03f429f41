from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "evolve.health"
    label = "health"
