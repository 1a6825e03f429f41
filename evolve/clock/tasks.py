from celery import shared_task

from evolve.clock.services import deadline_breaches_mark


@shared_task(name="evolve.clock.deadline_breaches_mark_task")
def deadline_breaches_mark_task() -> int:
    """Periodic: stamp the deadlines that have passed their due time as breached, for reports."""
    return deadline_breaches_mark()
