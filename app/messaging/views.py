"""Pages and webhooks of participant messaging (filled in by its parts)."""

from app.messaging import webhooks  # noqa: F401  (the provider's webhooks, on bp)
