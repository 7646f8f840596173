"""The work a service process does besides answering requests: projections and deadlines."""

from collections.abc import Iterator
from contextlib import contextmanager

from sansan.bootstrap import Services
from sansan.workflows.scheduler import run_scheduler


@contextmanager
def background_work(services: Services) -> Iterator[None]:
    """The projection runner and the deadline scheduler, as the settings ask, until left."""
    settings = services.settings
    if settings.run_projections:
        services.start_projections()
    scheduler = (
        run_scheduler(services, interval_s=settings.scheduler_interval_s)
        if settings.run_scheduler
        else None
    )
    try:
        yield
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        services.projections.stop()
