from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "evolve.ui"
    label = "ui"
    verbose_name = "Pages: base templates and components"
