"""The thresholds of DESIGN.md's follow-up table that are not rules of their own.

One home for each number: the scans, the digests, the pages and their texts read them here.
"""

# No contact for this long, and an open trajectory is "buiten beeld".
OUT_OF_VIEW_DAYS = 42
# Or this many check-ins in a row not reached.
NOT_REACHED_IN_A_ROW = 2
# Waiting for an offer longer than this: an alert to the coordinator.
WAITING_TOO_LONG_DAYS = 21
# No session logged on an active match: a reminder to the volunteer, then an alert to the
# coordinator.
VOLUNTEER_SILENCE_REMINDER_DAYS = 21
VOLUNTEER_SILENCE_ALERT_DAYS = 42
