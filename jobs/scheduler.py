"""APScheduler wiring (filled in by the scheduler work)."""


def start_in_web_process(app) -> None:
    pass
