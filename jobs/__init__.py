"""Scheduled jobs: plain functions of `now`, run by APScheduler (see jobs/scheduler.py)."""
