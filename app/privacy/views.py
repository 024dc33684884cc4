"""The privacy pages; each part keeps its routes in its own module."""

from app.privacy import erasure, inzage, pages  # noqa: F401  (routes on bp)
