"""Anonymisation, the same for retention and for erasure: personal data and free texts go;
what the reports count stays."""
