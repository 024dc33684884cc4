"""Pages and webhooks of participant messaging (filled in by its parts)."""
