"""The privacy pages; each part keeps its routes in its own module."""

from app.privacy import erasure, inzage, lists, pages  # noqa: F401  (routes on bp)
