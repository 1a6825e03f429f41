from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "evolve.demo"
    label = "demo"
    verbose_name = "Demo data (local machines only)"
