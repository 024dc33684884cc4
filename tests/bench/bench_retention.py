# ruff: noqa: S608  (SQL built from the constants of this file only, never from input)
"""The nightly retention job over 100,000 trajectories, half of them past the limit.

Every trajectory has a referral, an intake, two learning goals, three check-ins, a contact
attempt, a match with two sessions and a message in the ledger; one person per trajectory.
The first run anonymises the 50,000 old ones (and their people); the second finds nothing.
"""

import time
from datetime import UTC, datetime

import sqlalchemy as sa

from . import fill

TRAJECTORIES = 100_000
LOCATIONS = 50
NOW = datetime(2028, 11, 23, 2, 30, tzinfo=UTC)
NOW_SQL = "timestamp '2028-11-23 02:30:00'"
TODAY_SQL = "date '2028-11-23'"


def _fill(conn) -> None:
    conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    fill.locations_with_coordinators(conn, LOCATIONS, NOW_SQL)
    conn.execute(sa.text(f"""
        INSERT INTO participants (first_name, last_name, phone, phone_normalised, email,
                                  preferred_channel, birth_year, language_background,
                                  postcode4, created_at, updated_at, version)
        SELECT 'Deelnemer' || i, 'Achternaam' || (i % 997), '+3161' || lpad(i::text, 7, '0'),
               '+3161' || lpad(i::text, 7, '0'), 'p' || i || '@example.org', 'phone',
               1950 + i % 50, 'nt2', '35' || lpad((i % 100)::text, 2, '0'),
               {NOW_SQL}, {NOW_SQL}, 1
        FROM generate_series(1, {TRAJECTORIES}) AS i"""))
    # All ended: the even ones 30 months ago (past 24), the odd ones 6 months ago.
    conn.execute(sa.text(f"""
        INSERT INTO trajectories (participant_id, location_id, owner_id, status, referred_on,
                                  started_on, ended_on, outcome, created_at, updated_at)
        SELECT i, 1 + i % {LOCATIONS}, 1 + i % {LOCATIONS}, 'ended',
               {TODAY_SQL} - CASE WHEN i % 2 = 0 THEN 1200 ELSE 400 END,
               {TODAY_SQL} - CASE WHEN i % 2 = 0 THEN 1100 ELSE 300 END,
               {TODAY_SQL} - CASE WHEN i % 2 = 0 THEN 900 + i % 60 ELSE 180 END,
               'goal_reached', {NOW_SQL}, {NOW_SQL}
        FROM generate_series(1, {TRAJECTORIES}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO referrals (trajectory_id, is_primary, referrer_name, referred_on, question,
                               channel, best_moment, first_contact_due, result, created_at)
        SELECT id, true, 'Verwijzer ' || id, referred_on, 'Wil beter leren lezen ' || id,
               'phone', 'ochtend', referred_on + 7, 'reached', {NOW_SQL}
        FROM trajectories"""))
    conn.execute(sa.text(f"""
        INSERT INTO intakes (trajectory_id, held_on, scale, level_speaking, level_listening,
                             level_reading, level_writing, digital_level, numeracy_level,
                             availability, motivation, created_at, updated_at, version)
        SELECT id, referred_on + 10, 'nt2', 'A2', 'A2', 'A1', 'A1', 'basic', 'unknown', '[]',
               'Motivatie ' || id, {NOW_SQL}, {NOW_SQL}, 1
        FROM trajectories"""))
    conn.execute(sa.text(f"""
        INSERT INTO learning_goals (trajectory_id, subject, context, own_words, status,
                                    created_at)
        SELECT t.id, 'lezen', 'geld', 'Brieven lezen ' || t.id || '-' || n, 'achieved',
               {NOW_SQL}
        FROM trajectories t, generate_series(1, 2) AS n"""))
    conn.execute(sa.text(f"""
        INSERT INTO checkins (trajectory_id, kind, due_on, assignee_id, status, note,
                              created_at)
        SELECT t.id, 'match_3m', t.started_on + n * 30, t.owner_id, 'done',
               'Notitie ' || t.id, {NOW_SQL}
        FROM trajectories t, generate_series(1, 3) AS n"""))
    conn.execute(sa.text(f"""
        INSERT INTO contact_attempts (trajectory_id, at, reached, channel, note, first_contact)
        SELECT id, {NOW_SQL} - interval '1000 days', true, 'phone', 'Gebeld ' || id, true
        FROM trajectories"""))
    conn.execute(sa.text(f"""
        INSERT INTO volunteers (first_name, last_name, status, capacity, availability,
                                domains, languages, created_at, updated_at, version)
        SELECT 'Vrijwilliger' || i, 'V', 'active', 3, '[]', '[]', '[]', {NOW_SQL}, {NOW_SQL}, 1
        FROM generate_series(1, 1000) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO matches (trajectory_id, volunteer_id, status, proposed_on, started_on,
                             ended_on, end_note, created_at, updated_at)
        SELECT id, 1 + id % 1000, 'ended', started_on, started_on, ended_on,
               'Afscheid ' || id, {NOW_SQL}, {NOW_SQL}
        FROM trajectories"""))
    conn.execute(sa.text(f"""
        INSERT INTO match_sessions (match_id, held_on, minutes, practised, remark, concern,
                                    created_at, updated_at)
        SELECT m.id, m.started_on + n * 7, 60, 'Geoefend ' || m.id, 'Opmerking', false,
               {NOW_SQL}, {NOW_SQL}
        FROM matches m, generate_series(1, 2) AS n"""))
    conn.execute(sa.text(f"""
        INSERT INTO notifications (kind, subject_key, recipient_key, period_key, channel,
                                   participant_id, trajectory_id, phone, subject, body,
                                   status, attempts, created_at)
        SELECT 'msg_free', 'free:' || t.id, 'participant:' || t.participant_id, 'free', 'sms',
               t.participant_id, t.id, '+3161' || lpad(t.participant_id::text, 7, '0'),
               'Bericht', 'Hallo Deelnemer' || t.participant_id, 'sent', 1, {NOW_SQL}
        FROM trajectories t"""))
    for table in ("participants", "trajectories", "referrals", "intakes", "learning_goals",
                  "checkins", "contact_attempts", "matches", "match_sessions",
                  "notifications"):
        conn.execute(sa.text(f"ANALYZE {table}"))


def run(app) -> list[str]:
    from app.extensions import db
    from jobs.retention import run_retention

    started = time.perf_counter()
    with db.engine.begin() as conn:
        _fill(conn)
    lines = [f"data: {TRAJECTORIES:,} ended trajectories (half past 24 months), each with a "
             f"referral, intake, 2 goals, 3 check-ins, a contact attempt, a match with 2 "
             f"sessions and a message; filled in {time.perf_counter() - started:.1f} s"]
    started = time.perf_counter()
    first = run_retention(NOW)
    lines.append(f"first run: {first.trajectories:,} trajectories and {first.participants:,} "
                 f"people anonymised in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    second = run_retention(NOW)
    lines.append(f"second run (nothing left): {second.trajectories} trajectories in "
                 f"{(time.perf_counter() - started) * 1000:.0f} ms")
    left = db.session.scalar(sa.text(
        "SELECT count(*) FROM participants WHERE anonymised_at IS NOT NULL "
        "AND (phone IS NOT NULL OR first_name <> 'Geanonimiseerd')"))
    lines.append(f"check: {left} anonymised people with a name or phone left")
    db.session.rollback()
    return lines
