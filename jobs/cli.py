"""`flask jobs run` and `flask jobs tick --at`."""

from flask import Flask


def register(app: Flask) -> None:
    pass
