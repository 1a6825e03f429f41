from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "evolve.accounts"
    label = "accounts"
    verbose_name = "People who use Evolve, their agencies and teams"
