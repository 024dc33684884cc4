"""Shared building blocks: database base, time and working days, mail, audit helpers."""
