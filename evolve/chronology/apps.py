from django.apps import AppConfig


class ChronologyConfig(AppConfig):
    name = "evolve.chronology"
    label = "chronology"
    verbose_name = "Children's chronologies"
