"""Inzage: everything Houvast holds about one person, to read, print or take along."""
