"""The one place that assembles the object graph from settings."""

from sansan.application import SansanApplication
from sansan.clock import Clock, SystemClock
from sansan.persistence import library_env, migration_lock
from sansan.settings import Settings


def build_application(
    settings: Settings | None = None, clock: Clock | None = None
) -> SansanApplication:
    settings = settings or Settings()
    clock = clock or SystemClock()
    if not settings.auto_migrate:
        return SansanApplication(library_env(settings, create_tables=False), clock)
    with migration_lock(settings):
        return SansanApplication(library_env(settings, create_tables=True), clock)


def migrate(settings: Settings | None = None) -> None:
    """Create whatever tables are missing, then let go (the explicit ``sansan migrate``)."""
    settings = (settings or Settings()).model_copy(update={"auto_migrate": True})
    build_application(settings).close()
