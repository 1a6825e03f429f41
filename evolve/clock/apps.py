from django.apps import AppConfig


class ClockConfig(AppConfig):
    name = "evolve.clock"
    label = "clock"
    verbose_name = "Deadlines"
