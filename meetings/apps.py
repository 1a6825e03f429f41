from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self) -> None:
        # Registers the meeting, agenda item and action access policies with the gate.
        from meetings import permissions  # noqa: F401
