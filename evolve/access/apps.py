from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "evolve.access"
    label = "access"
    verbose_name = "Access: the permission gate and explicit grants"
