"""`flask seed-demo`: realistic fake Dutch demo data (filled in by the seed helper)."""

from flask import Flask


def register(app: Flask) -> None:
    pass
