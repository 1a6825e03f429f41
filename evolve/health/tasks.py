from celery import shared_task


@shared_task(name="evolve.health.ping_task")
def ping_task() -> str:
    """The worker's half of /healthz: proves a worker takes tasks from the broker and answers."""
    return "pong"
