from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "evolve.notifications"
    label = "notifications"
    verbose_name = "Notifications"
