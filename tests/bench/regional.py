# ruff: noqa: S608, E501  (SQL built from the constants of this file only; long SQL lines)
"""The regional data set: one generator for every benchmark (issue 14).

A regional library organisation at DESIGN.md's scale: 40 locations, 90,000 people, 100,000
trajectories (some people have two or three), about a million check-ins, 5,000 volunteers,
matches with 410,000 sessions, 500,000 audit events, and everything around them (referrals
with partners, contacts and per-referral share consents, intakes and learning goals, contact
attempts, appointments, group offers with meetings and attendance, notifications, messages
to and from participants, self-registrations, API tokens, users of every role).

Everything is made inside PostgreSQL with INSERT ... SELECT generate_series, from one plan
table of the trajectories (`rg_t`) that decides each trajectory's status and dates, so the
records of truth (referral, intake) and the copies on the trajectory (milestones) agree.
"Random" choices are a multiplicative hash of the row number (`pg_temp.h`): the same data
every time. Dates are relative to a fixed NOW (a Monday), never to today's date.

Use:
    python -m tests.bench.regional --template     # (re)build the template database
    python -m tests.bench.regional URL            # fill an empty, migrated database
and from a benchmark: `regional.build(url_or_app)` fills an empty migrated database, or
`regional.copy_template(url)` makes a database from the template (seconds, not minutes).
"""

import hashlib
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime

import sqlalchemy as sa

# --- What the benchmarks rely on ---------------------------------------------------------------

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 23 November 2026, 10:00 in Amsterdam
TODAY = date(2026, 11, 23)
NOW_SQL = "timestamp '2026-11-23 09:00:00'"
TODAY_SQL = "date '2026-11-23'"

TEMPLATE = "houvast_regional_tpl"
PASSWORD = "regional benchmark password"  # noqa: S105 (benchmark accounts only)
API_TOKEN = "hv_regional-benchmark-token-of-partner-one-0000"  # noqa: S105 (benchmark only)

ADMIN_EMAIL = "admin@regional.example"
COORDINATOR_HEAVY_EMAIL = "coordinator.heavy@regional.example"
COORDINATOR_LOCATION_EMAIL = "coordinator.location@regional.example"
VOLUNTEER_HEAVY_EMAIL = "volunteer.heavy@regional.example"
PARTNER_HEAVY_EMAIL = "partner.heavy@regional.example"

ADMIN_ID = 1
COORDINATOR_HEAVY_ID = 10      # coordinator of locations 1-4, owns ~1,700 open trajectories
COORDINATOR_LOCATION_ID = 11   # coordinator of location 1 (the location view of Mijn taken)
VOLUNTEER_HEAVY_ID = 1         # the volunteer with the most matches (user id 10001)
VOLUNTEER_HEAVY_USER_ID = 10001
PARTNER_HEAVY_ID = 1           # the partner with the most referrals
PARTNER_HEAVY_USER_ID = 2999
HEAVY_PARTICIPANT_ID = 1       # "Zwaar Dossier": 3 trajectories, the newest one active
HEAVY_PARTICIPANT_NAME = ("Zwaar", "Dossier")
HEAVY_TRAJECTORY_ID = 90002    # their open trajectory (match id 90002 with the heavy volunteer)

LOCATIONS = 40
PEOPLE = 90_000
TRAJECTORIES = 100_000
VOLUNTEERS = 5_000
VOLUNTEER_ACCOUNTS = 1_500     # volunteers 1..1500 sign in (user id 10000 + volunteer id)
PARTNERS = 60                  # partner 60 is "Zelfmelder" (self-registrations)
SESSIONS = 410_000
AUDIT_EVENTS = 500_000
HEAVY_AUDIT_EVENTS = 2_000

# Hash multipliers (random odd 32-bit numbers): pg_temp.h(x, m, k) is a fixed "random" 0..m-1 of x.
_MULTIPLIERS = (2606308725, 3208062487, 3311914673, 3246031109, 3397387847, 2459409405,
                4079108861, 3448807091, 4151594187, 3851183971, 3838883087, 2656005931,
                3279278133, 3106404311, 3503224729, 3685222273, 3265903137, 3696549979,
                2790455551, 2839190221, 3330017045, 2855931001, 2193033053, 2447859877)

_FIRST = ["Fatima", "Mohammed", "Ahmed", "Aisha", "Yusuf", "Maria", "Anna", "Piet", "Jan",
          "Sara", "Omar", "Layla", "Hassan", "Noor", "Ali", "Emma", "Daan", "Sophie", "Lucas",
          "Julia", "Mila", "Sem", "Zeynep", "Mehmet", "Elif", "Emre", "Olena", "Oksana",
          "Dmytro", "Iryna", "Tesfay", "Selam", "Abeba", "Yonas", "Amina", "Khadija",
          "Rachid", "Samira", "Youssef", "Hanna", "Kees", "Wim", "Ria", "Gerda", "Henk",
          "Marco", "Priya", "Rahul", "Wei", "Ling", "Juan", "Carmen", "Pedro", "Ana",
          "Tomasz", "Agnieszka", "Piotr", "Katarzyna", "Ibrahim", "Mariam", "Nadia", "Karim",
          "Dewi", "Sanne", "Bram", "Lotte", "Ruben", "Esra", "Hamza", "Zahra", "Reza",
          "Shirin", "Farid", "Leila", "Gustavo", "Lucia", "Ivan", "Natalia", "Kofi", "Ama"]
_LAST = ["de Vries", "Jansen", "de Jong", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
         "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
         "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok",
         "Jacobs", "de Haan", "Vermeulen", "van den Berg", "van Dijk", "Hoekstra", "Maas",
         "El Amrani", "Bouzid", "El Idrissi", "Benali", "Ait Taleb", "Yilmaz", "Kaya",
         "Demir", "Sahin", "Celik", "Ozturk", "Arslan", "Kowalski", "Nowak", "Wisniewski",
         "Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Haile", "Tesfaye", "Gebre",
         "Mohamud", "Abdi", "Hussein", "Rahimi", "Ahmadi", "Hosseini", "Karimi", "Singh",
         "Kumar", "Patel", "Chen", "Wang", "Li", "Nguyen", "Tran", "Garcia", "Rodriguez",
         "Silva", "Santos", "Pereira", "Haddad", "Khalil", "Nasser", "Mansour", "Osman",
         "Diallo", "Mensah", "Boateng", "van Vliet", "Willems", "Koster", "Prins", "Post",
         "Kuipers", "Veenstra", "Kramer", "van den Broek", "Schouten", "Timmermans",
         "Groen", "Gerritsen", "Jonker", "van Loon", "Evers", "Verhoeven", "Lambers",
         "Postma", "Huisman"]
_SLOTS = [f"{d}-{p}" for d in ("mon", "tue", "wed", "thu", "fri", "sat")
          for p in ("morning", "afternoon", "evening")]
_SUBJECTS = ["lezen", "schrijven", "spreken_luisteren", "rekenen", "digitaal",
             "digitale_overheid"]
_CONTEXTS = ["gezin", "werk", "gezondheid", "geld", "wonen", "inburgering", "zelfredzaamheid"]
_PARTNER_KINDS = ["gemeente", "uwv", "leerwerkloket", "vluchtelingenwerk", "sociaal_werkbedrijf",
                  "schuldhulp", "wijkteam", "welzijn", "ggd", "humanitas", "werkgever",
                  "taalaanbieder", "bibliotheek", "vrijwilligersorganisatie", "anders"]
_OUTCOMES = ["goal_reached", "work", "formal_education", "non_formal", "goal_reached",
             "stopped", "moved", "unreachable"]
_OFFER_KINDS = ["taalcafe", "leesclub", "schrijftafel", "klik_tik", "digisterker", "oefenen_nl",
                "nt1_lesgroep", "roc_taalschool", "taalcafe", "klik_tik"]
_OFFER_DOMAINS = ["language", "language", "language", "digital", "digital", "language",
                  "language", "language", "language", "digital"]


def _array(values) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values, expr: str, k: int) -> str:
    """One of `values`, chosen by the hash of `expr`."""
    return f"({_array(values)})[1 + pg_temp.h({expr}, {len(values)}, {k})]"


# --- The steps ----------------------------------------------------------------------------------

def _h_function() -> str:
    multipliers = ", ".join(str(m) for m in _MULTIPLIERS)
    return f"""
        CREATE OR REPLACE FUNCTION pg_temp.h(x bigint, m integer, k integer) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT (((x * (ARRAY[{multipliers}]::bigint[])[1 + k % {len(_MULTIPLIERS)}]
                      + k * 40503) % 4294967296) * m / 4294967296)::integer
        $$"""


# The plan: one row per trajectory with everything the other tables derive from it.
# kind: the trajectory's status, or "old" for an earlier, ended trajectory of the same person.
_PLAN = f"""
CREATE TEMP TABLE rg_t ON COMMIT DROP AS
WITH b AS (
    SELECT t, CASE WHEN t <= {PEOPLE} THEN t
                   WHEN t <= {HEAVY_TRAJECTORY_ID} THEN {HEAVY_PARTICIPANT_ID}
                   ELSE 2 + pg_temp.h(t, {PEOPLE - 1}, 1) END AS p
    FROM generate_series(1, {TRAJECTORIES}) AS t),
r AS (
    SELECT t, p, (row_number() OVER (PARTITION BY p ORDER BY t))::integer AS rn,
           (count(*) OVER (PARTITION BY p))::integer AS cnt
    FROM b),
s AS (
    SELECT t, p, rn, cnt,
           CASE WHEN p = {HEAVY_PARTICIPANT_ID} THEN 1 ELSE 1 + t % {LOCATIONS} END AS loc,
           CASE WHEN rn < cnt THEN 'old'
                WHEN p = {HEAVY_PARTICIPANT_ID} THEN 'active'
                ELSE (CASE WHEN pg_temp.h(t, 100, 2) < 5 THEN 'referred'
                           WHEN pg_temp.h(t, 100, 2) < 8 THEN 'contacted'
                           WHEN pg_temp.h(t, 100, 2) < 10 THEN 'intake_planned'
                           WHEN pg_temp.h(t, 100, 2) < 12 THEN 'unreachable'
                           WHEN pg_temp.h(t, 100, 2) < 27 THEN 'waiting'
                           WHEN pg_temp.h(t, 100, 2) < 57 THEN 'active'
                           ELSE 'ended' END) END AS kind
    FROM r),
d AS (
    SELECT s.*, {TODAY_SQL} - CASE kind
        WHEN 'referred' THEN pg_temp.h(t, 30, 3)
        WHEN 'contacted' THEN 10 + pg_temp.h(t, 60, 3)
        WHEN 'intake_planned' THEN 7 + pg_temp.h(t, 40, 3)
        WHEN 'unreachable' THEN 14 + pg_temp.h(t, 90, 3)
        WHEN 'waiting' THEN 30 + pg_temp.h(t, 300, 3)
        WHEN 'active' THEN CASE WHEN p = {HEAVY_PARTICIPANT_ID} THEN 700
                                ELSE 60 + pg_temp.h(t, 640, 3) END
        WHEN 'ended' THEN 100 + pg_temp.h(t, 900, 3)
        ELSE 0 END AS ref0
    FROM s),
e AS (
    SELECT d.*, max(ref0) FILTER (WHERE rn = cnt) OVER (PARTITION BY p) AS newest_ref FROM d),
f AS (
    -- An earlier trajectory ended before the next one was referred.
    SELECT e.*, CASE WHEN kind = 'old' THEN newest_ref - 800 * (cnt - rn) - pg_temp.h(t, 300, 3)
                     ELSE ref0 END AS ref,
           (kind = 'ended' AND pg_temp.h(t, 100, 6) < 6) AS declined
    FROM e),
g AS (
    SELECT f.*,
           CASE WHEN kind IN ('referred', 'unreachable') THEN NULL
                ELSE LEAST(ref + 1 + pg_temp.h(t, 6, 4), {TODAY_SQL}) END AS fc,
           CASE WHEN kind IN ('waiting', 'active', 'ended', 'old') AND NOT declined
                THEN ref + 14 + pg_temp.h(t, 10, 5) END AS ik
    FROM f),
k AS (
    SELECT g.*,
           CASE WHEN kind IN ('active', 'ended', 'old') AND NOT declined
                THEN LEAST(ik + 7 + pg_temp.h(t, 40, 7), {TODAY_SQL} - 1) END AS started
    FROM g),
l AS (
    SELECT k.*,
           CASE WHEN kind = 'ended' AND declined THEN fc
                WHEN kind = 'ended' THEN LEAST(started + 60 + pg_temp.h(t, 300, 8), {TODAY_SQL} - 1)
                WHEN kind = 'old' THEN LEAST(started + 60 + pg_temp.h(t, 300, 8), newest_ref - 5)
                END AS ended,
           CASE WHEN p = {HEAVY_PARTICIPANT_ID} AND rn = cnt THEN {COORDINATOR_HEAVY_ID}
                WHEN kind = 'referred' AND pg_temp.h(t, 10, 12) = 0 THEN NULL
                WHEN rn = cnt AND loc <= 4 AND pg_temp.h(t, 3, 11) = 0 THEN {COORDINATOR_HEAVY_ID}
                WHEN rn = cnt AND loc = 1 AND pg_temp.h(t, 3, 11) = 1
                     THEN {COORDINATOR_LOCATION_ID}
                ELSE 100 + 2 * (loc - 1) + t % 2 END AS owner,
           CASE WHEN p = {HEAVY_PARTICIPANT_ID} THEN {PARTNER_HEAVY_ID}
                WHEN pg_temp.h(t, 20, 15) = 0 THEN NULL
                WHEN pg_temp.h(t, 20, 15) = 1 THEN {PARTNERS}
                WHEN pg_temp.h(t, 100, 16) < 10 THEN {PARTNER_HEAVY_ID}
                ELSE 2 + pg_temp.h(t, {PARTNERS - 2}, 17) END AS pid,
           kind NOT IN ('ended', 'old') AS open,
           (kind IN ('contacted', 'intake_planned', 'waiting', 'active')
            AND p <> {HEAVY_PARTICIPANT_ID} AND pg_temp.h(t, 100, 14) < 3) AS oov0
    FROM k)
SELECT l.*,
       oov0 AND fc <= {TODAY_SQL} - 100 AS oov,
       CASE WHEN kind = 'active' AND (p = {HEAVY_PARTICIPANT_ID} OR pg_temp.h(t, 100, 24) < 62)
                 THEN true
            WHEN kind IN ('ended', 'old') AND started IS NOT NULL
                 AND pg_temp.h(t, 100, 24) < 62 THEN true
            WHEN kind = 'waiting' AND pg_temp.h(t, 100, 24) < 10 THEN true
            ELSE false END AS has_match,
       (kind = 'active' AND p <> {HEAVY_PARTICIPANT_ID} AND pg_temp.h(t, 100, 24) < 62
        AND pg_temp.h(t, 100, 26) < 20) AS second_match,
       CASE WHEN loc = 1 THEN 1 + 40 * (1 + pg_temp.h(t, 124, 27))
            ELSE loc + 40 * pg_temp.h(t, 125, 27) END AS vol,
       CASE WHEN loc = 1 THEN 1 + 40 * (1 + pg_temp.h(t, 124, 28))
            ELSE loc + 40 * pg_temp.h(t, 125, 28) END AS vol2
FROM l
"""

_PLAN_MORE = f"""
ALTER TABLE rg_t ADD COLUMN enrolled boolean, ADD COLUMN match_start date,
    ADD COLUMN lc timestamp, ADD COLUMN ipa timestamp, ADD COLUMN outcome text,
    ADD COLUMN partner_contact integer, ADD COLUMN quiet date;
UPDATE rg_t SET
    enrolled = (kind = 'active' AND (NOT has_match OR pg_temp.h(t, 100, 31) < 5))
               OR (kind IN ('ended', 'old') AND started IS NOT NULL AND NOT has_match),
    match_start = CASE WHEN second_match THEN LEAST(started + 45, {TODAY_SQL} - 3)
                       ELSE started END,
    -- Out of view: nothing happened since this day (no session, check-in or contact).
    quiet = CASE WHEN oov0 AND fc <= {TODAY_SQL} - 100
                 THEN {TODAY_SQL} - 43 - pg_temp.h(t, 40, 13) END,
    -- The newest contact logged by hand ("Contact vastleggen"); the trajectory's
    -- last_contact_at is worked out from every kind of contact at the end.
    lc = CASE WHEN kind IN ('referred', 'unreachable') THEN NULL
              WHEN NOT open THEN ended + time '10:00'
              WHEN p = {HEAVY_PARTICIPANT_ID} THEN {NOW_SQL} - interval '1 day'
              WHEN oov0 AND fc <= {TODAY_SQL} - 100
                   THEN {TODAY_SQL} - 43 - pg_temp.h(t, 40, 13) + time '10:00'
              ELSE GREATEST(fc + time '10:00', {NOW_SQL}
                            - pg_temp.h(t, 42, 13) * interval '1 day'
                            - pg_temp.h(t, 8, 18) * interval '1 hour') END,
    ipa = CASE WHEN kind <> 'intake_planned' THEN NULL
               WHEN owner = {COORDINATOR_HEAVY_ID} AND pg_temp.h(t, 5, 19) = 0
                    THEN {TODAY_SQL} + time '13:00'
               ELSE {TODAY_SQL} + (pg_temp.h(t, 21, 9) - 5) + time '08:00'
                    + pg_temp.h(t, 6, 10) * interval '1 hour' END,
    outcome = CASE WHEN open THEN NULL WHEN declined THEN 'declined'
                   ELSE {_pick(_OUTCOMES, 't', 20)} END,
    partner_contact = CASE WHEN pid IS NOT NULL AND pid < {PARTNERS} AND pg_temp.h(t, 4, 21) > 0
                           THEN 3 * (pid - 1) + 1 + t % 3 END;
-- The heavy volunteer: twelve open matches at location 1 (one of them the heavy
-- participant's) and twenty ended ones.
UPDATE rg_t SET vol = {VOLUNTEER_HEAVY_ID} WHERE t IN (
    SELECT t FROM rg_t WHERE loc = 1 AND kind = 'active' AND has_match
    ORDER BY (p = {HEAVY_PARTICIPANT_ID}) DESC, t LIMIT 12);
UPDATE rg_t SET vol = {VOLUNTEER_HEAVY_ID} WHERE t IN (
    SELECT t FROM rg_t WHERE loc = 1 AND kind = 'ended' AND has_match ORDER BY t LIMIT 20);
CREATE INDEX ON rg_t (t);
CREATE INDEX ON rg_t (p);
ANALYZE rg_t
"""


def _steps(avg_sessions_sql: str = "") -> list[tuple[str, str]]:
    """(what, SQL) in order; each SQL may hold several statements separated by ';\\n'."""
    now, today = NOW_SQL, TODAY_SQL
    steps: list[tuple[str, str]] = []
    add = lambda what, sql: steps.append((what, sql))  # noqa: E731

    add("locations", f"""
        INSERT INTO locations (id, name, municipality, active, created_at, address, phone,
                               directions, owner_mode)
        SELECT i, 'Bibliotheek ' || (ARRAY['Noord', 'Zuid', 'Oost', 'West', 'Centrum',
               'Haven', 'Dorp', 'Stad'])[1 + i % 8] || ' ' || i, 'Gemeente ' || (1 + i % 12),
               true, {now} - interval '900 days', 'Bibliotheekplein ' || i,
               '+3120' || lpad((1000000 + i)::text, 7, '0'), 'Ingang naast de bibliotheek',
               'registrar'
        FROM generate_series(1, {LOCATIONS}) AS i""")
    kinds = _array(_PARTNER_KINDS)
    add("partners and contacts", f"""
        INSERT INTO partners (id, name, kind, email, phone, signals_enabled, active, created_at)
        SELECT i, CASE WHEN i = {PARTNER_HEAVY_ID} THEN 'Gemeente Regiostad (Werk en Inkomen)'
                       ELSE 'Partner ' || i || ' ' || ({kinds})[1 + i % {len(_PARTNER_KINDS)}]
                  END,
               CASE WHEN i = {PARTNER_HEAVY_ID} THEN 'gemeente'
                    ELSE ({kinds})[1 + i % {len(_PARTNER_KINDS)}] END,
               'info@partner' || i || '.example', '+3130' || lpad(i::text, 7, '0'),
               i % 9 <> 0, true, {now} - interval '800 days'
        FROM generate_series(1, {PARTNERS - 1}) AS i;
        INSERT INTO partners (id, name, kind, signals_enabled, active, created_at)
        VALUES ({PARTNERS}, 'Zelfmelder', 'zelfmelder', false, true, {now} - interval '800 days');
        INSERT INTO partner_contacts (id, partner_id, name, email, phone, role, active)
        SELECT 3 * (p - 1) + k, p, 'Contactpersoon ' || k || ' van partner ' || p,
               CASE WHEN p = {PARTNER_HEAVY_ID} AND k = 1 THEN '{PARTNER_HEAVY_EMAIL}'
                    ELSE 'contact' || k || '@partner' || p || '.example' END,
               '+3130' || lpad((p * 10 + k)::text, 7, '0'), 'Klantmanager', k <> 3 OR p % 5 <> 0
        FROM generate_series(1, {PARTNERS - 1}) AS p, generate_series(1, 3) AS k""")
    add("users", f"""
        INSERT INTO users (id, email, name, password_hash, role, active, partner_id,
                           email_preference, created_at, last_login_at, password_changed_at)
        SELECT id, email, name, :password_hash, role, true, partner_id, 'digest',
               {now} - interval '700 days', {now} - interval '1 day', {now} - interval '600 days'
        FROM (
            VALUES ({ADMIN_ID}, '{ADMIN_EMAIL}', 'Beheerder Regio', 'admin', NULL::integer),
                   (2, 'admin2@regional.example', 'Tweede Beheerder', 'admin', NULL),
                   (3, 'admin3@regional.example', 'Derde Beheerder', 'admin', NULL),
                   ({COORDINATOR_HEAVY_ID}, '{COORDINATOR_HEAVY_EMAIL}', 'Coördinator Zwaar',
                    'coordinator', NULL),
                   ({COORDINATOR_LOCATION_ID}, '{COORDINATOR_LOCATION_EMAIL}',
                    'Coördinator Locatie', 'coordinator', NULL),
                   ({PARTNER_HEAVY_USER_ID}, '{PARTNER_HEAVY_EMAIL}', 'Partner Zwaar', 'partner',
                    {PARTNER_HEAVY_ID})
        UNION ALL
        SELECT 100 + 2 * (l - 1) + k, 'coordinator' || l || '-' || k || '@regional.example',
               'Coördinator ' || l || '-' || k, 'coordinator', NULL
        FROM generate_series(1, {LOCATIONS}) AS l, generate_series(0, 1) AS k
        UNION ALL
        SELECT 200 + l - 1, 'medewerker' || l || '@regional.example', 'Medewerker ' || l,
               'staff', NULL
        FROM generate_series(1, {LOCATIONS}) AS l
        UNION ALL
        SELECT 3000 + 2 * (p - 1) + k, 'partner' || p || '-' || k || '@regional.example',
               'Verwijzer ' || p || '-' || k, 'partner', p
        FROM generate_series(1, {PARTNERS - 1}) AS p, generate_series(0, 1) AS k
        UNION ALL
        SELECT 10000 + v, CASE WHEN v = {VOLUNTEER_HEAVY_ID} THEN '{VOLUNTEER_HEAVY_EMAIL}'
                               ELSE 'vrijwilliger' || v || '@regional.example' END,
               'Vrijwilliger ' || v, 'volunteer', NULL
        FROM generate_series(1, {VOLUNTEER_ACCOUNTS}) AS v
        ) AS v (id, email, name, role, partner_id);
        INSERT INTO user_locations (user_id, location_id)
        SELECT {COORDINATOR_HEAVY_ID}, l FROM generate_series(1, 4) AS l
        UNION ALL SELECT {COORDINATOR_LOCATION_ID}, 1
        UNION ALL SELECT 100 + 2 * (l - 1) + k, l
        FROM generate_series(1, {LOCATIONS}) AS l, generate_series(0, 1) AS k
        UNION ALL SELECT 200 + l - 1, l FROM generate_series(1, {LOCATIONS}) AS l;
        -- Two factors off for every role (migration 0019 switched them on for admins and
        -- coordinators): the benchmarks sign in with a password only.
        INSERT INTO followup_settings (key, value, updated_at)
        SELECT k, 0, {now} FROM unnest(ARRAY['two_factor_admin', 'two_factor_coordinator',
                                              'two_factor_staff']) AS k
        ON CONFLICT (key) DO UPDATE SET value = 0""")
    add("plan of the trajectories", _h_function() + ";\n" + _PLAN + ";\n" + _PLAN_MORE)
    first, last = _array(_FIRST), _array(_LAST)
    add("participants", f"""
        INSERT INTO participants (id, version, first_name, last_name, phone, phone_normalised,
                                  email, preferred_channel, message_language, birth_year,
                                  language_background, native_language, sex, postcode4,
                                  found_via, created_at, updated_at, restricted_at,
                                  restricted_by_id)
        SELECT r.p, 1,
               CASE WHEN r.p = {HEAVY_PARTICIPANT_ID} THEN '{HEAVY_PARTICIPANT_NAME[0]}'
                    ELSE ({first})[1 + pg_temp.h(r.p, {len(_FIRST)}, 40)] END,
               CASE WHEN r.p = {HEAVY_PARTICIPANT_ID} THEN '{HEAVY_PARTICIPANT_NAME[1]}'
                    ELSE ({last})[1 + pg_temp.h(r.p, {len(_LAST)}, 41)] END,
               x.phone, x.phone,
               CASE WHEN pg_temp.h(r.p, 10, 43) < 4 THEN 'deelnemer' || r.p || '@example.org' END,
               CASE WHEN r.p = {HEAVY_PARTICIPANT_ID} THEN 'whatsapp'
                    WHEN x.phone IS NULL THEN 'letter'
                    ELSE (ARRAY['phone', 'phone', 'phone', 'sms', 'whatsapp', 'whatsapp',
                                'email', 'via_referrer'])[1 + pg_temp.h(r.p, 8, 44)] END,
               CASE WHEN pg_temp.h(r.p, 10, 45) < 2
                    THEN (ARRAY['en', 'ar', 'tr', 'pl', 'uk', 'ti'])[1 + pg_temp.h(r.p, 6, 46)]
                    END,
               1950 + pg_temp.h(r.p, 56, 47),
               (ARRAY['nt2', 'nt2', 'nt2', 'nt1', 'nt1', 'unknown'])[1 + pg_temp.h(r.p, 6, 48)],
               CASE WHEN pg_temp.h(r.p, 6, 48) < 3
                    THEN (ARRAY['Arabisch', 'Turks', 'Tigrinya', 'Oekraïens', 'Pools',
                                'Berbers', 'Somalisch', 'Farsi'])[1 + pg_temp.h(r.p, 8, 49)]
                    END,
               (ARRAY['vrouw', 'man', 'vrouw', NULL])[1 + pg_temp.h(r.p, 4, 50)],
               (1000 + pg_temp.h(r.p, 8999, 51))::text,
               (ARRAY['verwijzer', 'verwijzer', 'vrijwilliger', 'website', 'via_via',
                      'krant'])[1 + pg_temp.h(r.p, 6, 52)],
               r.ref + time '08:00', {now} - pg_temp.h(r.p, 300, 53) * interval '1 day',
               CASE WHEN r.p % 1500 = 7 THEN {now} - (r.p % 30) * interval '1 day' END,
               CASE WHEN r.p % 1500 = 7 THEN 100 + 2 * (r.loc - 1) END
        FROM rg_t r
        CROSS JOIN LATERAL (SELECT CASE
            WHEN r.p = {HEAVY_PARTICIPANT_ID} THEN '+31612345678'
            WHEN pg_temp.h(r.p, 10, 42) = 0 THEN NULL
            ELSE '+316' || lpad((10000000 + (r.p::bigint * 7919) % 89999999)::text, 8, '0')
            END AS phone) AS x
        WHERE r.rn = 1""")
    add("trajectory moves", f"""
        INSERT INTO trajectory_moves (trajectory_id, from_location_id, to_location_id, reason,
                                      moved_by_id, moved_at)
        SELECT t, 1 + loc % {LOCATIONS}, loc, 'Verhuisd naar een andere wijk', owner,
               LEAST(ref + 3 + time '11:00', {now} - interval '1 hour')
        FROM rg_t WHERE t % 400 = 17 AND open""")
    questions = _array(["Wil beter leren lezen", "Brieven van de gemeente begrijpen",
                        "Nederlands spreken op het werk", "Omgaan met DigiD en de computer",
                        "Rekenen met geld en rekeningen", "Voorlezen aan de kinderen"])
    add("referrals", f"""
        INSERT INTO referrals (id, trajectory_id, is_primary, partner_id, partner_contact_id,
                               referrer_name, referrer_phone, referrer_email, referred_on,
                               question, channel, best_moment, first_contact_due, result,
                               result_on, intake_scheduled_at, intake_scheduled_by_id,
                               created_by_id, created_at)
        SELECT t, t, true, pid, partner_contact,
               CASE WHEN pid IS NOT NULL AND pid < {PARTNERS} AND partner_contact IS NULL
                    THEN 'Verwijzer ' || t END,
               NULL, NULL, ref, ({questions})[1 + pg_temp.h(t, 6, 55)],
               CASE WHEN pid = {PARTNERS} THEN 'form' WHEN pid IS NULL THEN 'desk'
                    ELSE (ARRAY['phone', 'email', 'warm_handover', 'form'])[1 + pg_temp.h(t, 4, 56)]
                    END,
               CASE WHEN pg_temp.h(t, 3, 57) = 0 THEN 'Liefst ''s ochtends' END,
               ref + 7,
               CASE WHEN kind = 'referred' THEN 'pending' WHEN kind = 'unreachable' THEN 'not_reached'
                    WHEN declined THEN 'declined' ELSE 'reached' END,
               CASE WHEN kind = 'unreachable' THEN ref + 5 ELSE fc END,
               CASE WHEN ik IS NOT NULL OR kind = 'intake_planned' THEN fc + time '11:00' END,
               CASE WHEN ik IS NOT NULL OR kind = 'intake_planned' THEN owner END,
               owner, ref + time '08:00'
        FROM rg_t;
        -- A second referrer for some people with an open trajectory (not the primary one).
        INSERT INTO referrals (id, trajectory_id, is_primary, partner_id, referrer_name,
                               referred_on, question, channel, first_contact_due, result,
                               created_by_id, created_at)
        SELECT {TRAJECTORIES} + t, t, false, 2 + pg_temp.h(t, {PARTNERS - 2}, 19),
               'Tweede verwijzer ' || t, LEAST(ref + 20, {today}), 'Ook aangemeld door ons',
               'phone', LEAST(ref + 20, {today}) + 7, 'pending', owner,
               LEAST(ref + 20, {today}) + time '08:00'
        FROM rg_t WHERE open AND kind <> 'referred' AND pg_temp.h(t, 100, 18) < 4""")
    add("consents", f"""
        INSERT INTO consents (participant_id, kind, given, method, recorded_at, recorded_by_id,
                              referral_id)
        SELECT p, 'processing', true, 'verbal', ref + time '08:05', owner, NULL::integer
        FROM rg_t WHERE rn = 1
        UNION ALL
        SELECT p, 'messages', true, 'verbal', ref + time '08:06', owner, NULL
        FROM rg_t WHERE rn = 1 AND (p = {HEAVY_PARTICIPANT_ID} OR pg_temp.h(p, 10, 58) < 6)
        UNION ALL
        SELECT p, 'share_with_referrer', pg_temp.h(t, 100, 20) < 80, 'verbal',
               ref + time '08:07', owner, t
        FROM rg_t
        WHERE pid IS NOT NULL AND pid < {PARTNERS}
          AND (p = {HEAVY_PARTICIPANT_ID} OR pg_temp.h(t, 100, 20) < 90)
        UNION ALL
        SELECT r.p, 'share_with_referrer', true, 'verbal', f.referred_on + time '08:07',
               r.owner, f.id
        FROM referrals f JOIN rg_t r ON r.t = f.trajectory_id WHERE NOT f.is_primary
        UNION ALL
        -- The restricted people withdrew the processing consent (AVG art. 18).
        SELECT p, 'processing', false, 'verbal', {now} - (p % 30) * interval '1 day', owner, NULL
        FROM rg_t WHERE rn = 1 AND p % 1500 = 7""")
    add("contact attempts", """
        INSERT INTO contact_attempts (trajectory_id, at, by_id, reached, channel, note,
                                      outcome, first_contact)
        SELECT t, ref + time '07:00' + n * interval '30 minutes', owner, false, 'phone',
               'Geen gehoor', NULL, true
        FROM rg_t, generate_series(0, 2) AS n
        WHERE kind <> 'old' AND n < CASE WHEN kind = 'unreachable' THEN 3
                                         WHEN kind = 'referred' THEN (pg_temp.h(t, 100, 34) < 40)::int
                                         ELSE pg_temp.h(t, 3, 33) END
        UNION ALL
        SELECT t, fc + time '10:00', owner, true, 'phone', 'Gesproken',
               CASE WHEN declined THEN 'declined' END, true
        FROM rg_t WHERE fc IS NOT NULL
        UNION ALL
        SELECT t, lc, owner, true,
               (ARRAY['phone', 'in_person', 'message', 'via_volunteer'])[1 + pg_temp.h(t, 4, 59)],
               'Even gebeld: het gaat goed', NULL, false
        FROM rg_t WHERE open AND fc IS NOT NULL AND lc > fc + time '11:00'""")
    levels = _array(["A0", "A1", "A1", "A2", "B1"])
    nt1 = _array(["instroom", "1F", "1F", "2F"])
    add("intakes and learning goals", f"""
        INSERT INTO intakes (trajectory_id, version, held_on, by_id, scale, level_speaking,
                             level_listening, level_reading, level_writing,
                             knows_latin_alphabet, digital_level, numeracy_level,
                             screening_tool, availability, volunteer_preferences, motivation,
                             advised_offer, wished_offer, created_at, updated_at)
        SELECT t, 1, ik, COALESCE(owner, 200 + loc - 1),
               CASE WHEN t % 3 = 0 THEN 'nt1' ELSE 'nt2' END,
               CASE WHEN t % 3 = 0 THEN ({nt1})[1 + pg_temp.h(t, 4, 60)]
                    ELSE ({levels})[1 + pg_temp.h(t, 5, 60)] END,
               CASE WHEN t % 3 = 0 THEN ({nt1})[1 + pg_temp.h(t, 4, 61)]
                    ELSE ({levels})[1 + pg_temp.h(t, 5, 61)] END,
               CASE WHEN t % 3 = 0 THEN ({nt1})[1 + pg_temp.h(t, 4, 62)]
                    ELSE ({levels})[1 + pg_temp.h(t, 5, 62)] END,
               CASE WHEN t % 3 = 0 THEN ({nt1})[1 + pg_temp.h(t, 4, 63)]
                    ELSE ({levels})[1 + pg_temp.h(t, 5, 63)] END,
               t % 7 <> 0, (ARRAY['none', 'basic', 'basic', 'independent'])[1 + pg_temp.h(t, 4, 64)],
               (ARRAY['unknown', 'instroom', '1F', '2F'])[1 + pg_temp.h(t, 4, 65)],
               CASE WHEN t % 4 = 0 THEN 'taalmeter' END,
               json_build_array(({_array(_SLOTS)})[1 + t % 18], ({_array(_SLOTS)})[1 + (t + 4) % 18],
                                ({_array(_SLOTS)})[1 + (t + 9) % 18]),
               CASE WHEN t % 5 = 0 THEN 'Liefst een vrouw' END, 'Zelf de post kunnen lezen',
               CASE WHEN t % 2 = 0 THEN 'taalmaatje' ELSE 'taalcafe' END, 'taalmaatje',
               ik + time '11:00', ik + time '11:00'
        FROM rg_t WHERE ik IS NOT NULL;
        INSERT INTO learning_goals (id, trajectory_id, subject, context, own_words, target_date,
                                    status, status_changed_at, created_at)
        SELECT 2 * t - 1 + n, t, {_pick(_SUBJECTS, 't * 2 + n', 66)},
               {_pick(_CONTEXTS, 't * 2 + n', 67)},
               (ARRAY['Een brief van de gemeente lezen', 'Een e-mail sturen naar mijn werk',
                      'Met de dokter praten', 'Mijn rekeningen betalen'])[1 + (t + n) % 4],
               CASE WHEN kind = 'active' AND pg_temp.h(t * 2 + n, 100, 68) < 15
                    THEN {today} - 30 + pg_temp.h(t * 2 + n, 120, 69) END,
               CASE WHEN kind = 'waiting' THEN 'open'
                    WHEN kind = 'active' THEN (ARRAY['in_progress', 'open'])[1 + n]
                    ELSE (ARRAY['achieved', 'partly_achieved', 'achieved', 'stopped'])
                         [1 + pg_temp.h(t * 2 + n, 4, 70)] END,
               CASE WHEN kind IN ('ended', 'old') THEN ended + time '10:00' END,
               ik + time '11:00'
        FROM rg_t, generate_series(0, 1) AS n WHERE ik IS NOT NULL""")
    add("appointments", f"""
        INSERT INTO appointments (trajectory_id, kind, starts_at, location_id, room,
                                  with_user_id, status, planned_by_id, created_at, closed_at,
                                  closed_by_id, confirmed_at)
        SELECT t, 'intake', ipa, loc, 'Spreekkamer ' || (1 + t % 3), COALESCE(owner, 200 + loc - 1),
               'planned', owner, fc + time '11:00', NULL, NULL,
               CASE WHEN t % 3 = 0 THEN fc + time '15:00' END
        FROM rg_t WHERE kind = 'intake_planned'
        UNION ALL
        SELECT t, 'intake', ik + time '09:00', loc, 'Spreekkamer ' || (1 + t % 3),
               COALESCE(owner, 200 + loc - 1), 'held', owner, fc + time '11:00',
               ik + time '10:00', COALESCE(owner, 200 + loc - 1), NULL
        FROM rg_t WHERE ik IS NOT NULL AND ik >= {today} - 365""")
    add("volunteers", f"""
        INSERT INTO volunteers (id, version, first_name, last_name, email, phone, sex,
                                availability, capacity, domains, languages, vog_on, status,
                                status_reason, status_changed_on, user_id, created_at,
                                updated_at)
        SELECT v, 1, ({first})[1 + pg_temp.h(v, {len(_FIRST)}, 71)],
               ({last})[1 + pg_temp.h(v, {len(_LAST)}, 72)],
               'vrijwilliger' || v || '@example.org', '+3162' || lpad(v::text, 7, '0'),
               CASE WHEN v % 2 = 0 THEN 'vrouw' ELSE 'man' END,
               json_build_array(({_array(_SLOTS)})[1 + v % 18], ({_array(_SLOTS)})[1 + (v + 5) % 18],
                                ({_array(_SLOTS)})[1 + (v + 11) % 18],
                                ({_array(_SLOTS)})[1 + (v + 14) % 18]),
               CASE WHEN v = {VOLUNTEER_HEAVY_ID} THEN 14 ELSE 1 + pg_temp.h(v, 5, 73) END,
               json_build_array(({_array(_SUBJECTS)})[1 + v % 6], ({_array(_SUBJECTS)})[1 + (v + 2) % 6]),
               CASE v % 6 WHEN 0 THEN '["Arabisch", "Frans"]'::json
                          WHEN 1 THEN '["Turks"]'::json
                          WHEN 2 THEN '["Engels"]'::json
                          WHEN 3 THEN '["Tigrinya", "Amhaars", "Engels"]'::json
                          ELSE '[]'::json END,
               CASE WHEN v = {VOLUNTEER_HEAVY_ID} THEN {today} - 200
                    WHEN pg_temp.h(v, 20, 74) = 0 THEN NULL
                    ELSE {today} - pg_temp.h(v, 1300, 75) END,
               CASE WHEN v = {VOLUNTEER_HEAVY_ID} OR pg_temp.h(v, 100, 76) < 88 THEN 'active'
                    WHEN pg_temp.h(v, 100, 76) < 96 THEN 'paused' ELSE 'stopped' END,
               CASE WHEN v <> {VOLUNTEER_HEAVY_ID} AND pg_temp.h(v, 100, 76) >= 88
                    THEN 'Even geen tijd' END,
               CASE WHEN v <> {VOLUNTEER_HEAVY_ID} AND pg_temp.h(v, 100, 76) >= 88
                    THEN {today} - pg_temp.h(v, 200, 77) END,
               CASE WHEN v <= {VOLUNTEER_ACCOUNTS} THEN 10000 + v END,
               {now} - (100 + pg_temp.h(v, 1500, 78)) * interval '1 day', {now} - interval '30 days'
        FROM generate_series(1, {VOLUNTEERS}) AS v;
        INSERT INTO volunteer_locations (volunteer_id, location_id)
        SELECT v, 1 + (v - 1) % {LOCATIONS} FROM generate_series(1, {VOLUNTEERS}) AS v
        UNION
        SELECT v, 1 + (v * 7) % {LOCATIONS} FROM generate_series(1, {VOLUNTEERS}) AS v
        WHERE v % 3 = 0
        UNION
        SELECT {VOLUNTEER_HEAVY_ID}, l FROM generate_series(1, 4) AS l;
        INSERT INTO volunteer_trainings (volunteer_id, name, done_on)
        SELECT v, 'Basistraining taalmaatje', {today} - 100 - pg_temp.h(v, 1000, 79)
        FROM generate_series(1, {VOLUNTEERS}) AS v WHERE pg_temp.h(v, 10, 80) < 8""")
    add("matches", f"""
        INSERT INTO matches (id, trajectory_id, volunteer_id, status, proposed_on, started_on,
                             planned_end_on, first_meeting_at, first_meeting_place, paused_on,
                             ended_on, end_reason, last_session_on, created_by_id, created_at,
                             updated_at)
        SELECT t, t, vol, m.status,
               CASE WHEN kind = 'waiting' THEN {today} - pg_temp.h(t, 10, 81) ELSE match_start - 3 END,
               CASE WHEN kind = 'waiting' THEN NULL ELSE match_start END,
               CASE WHEN open AND kind <> 'waiting' THEN match_start + 365 END,
               CASE WHEN kind <> 'waiting' THEN match_start + time '13:00' END,
               CASE WHEN kind <> 'waiting' THEN 'In de bibliotheek' END,
               m.paused_on, CASE WHEN NOT open THEN ended END,
               CASE WHEN NOT open THEN CASE WHEN outcome IN ('goal_reached', 'work',
                                                            'formal_education', 'non_formal')
                                            THEN 'doel_behaald' ELSE 'deelnemer_gestopt' END END,
               CASE WHEN kind = 'waiting' THEN NULL
                    WHEN m.status = 'paused'
                         THEN GREATEST(match_start, LEAST(quiet - 1, m.paused_on - 3))
                    WHEN NOT open THEN GREATEST(match_start, ended - 3)
                    WHEN pg_temp.h(t, 100, 29) < 3
                         THEN GREATEST(match_start, LEAST(quiet - 1,
                                       {today} - 35 - pg_temp.h(t, 30, 82)))
                    ELSE GREATEST(match_start, LEAST(quiet - 1,
                                                     {today} - pg_temp.h(t, 21, 83))) END,
               owner, COALESCE(match_start - 3, {today} - 10) + time '12:00', {now}
        FROM rg_t CROSS JOIN LATERAL (SELECT
            CASE WHEN kind = 'waiting' THEN 'proposed' WHEN NOT open THEN 'ended'
                 WHEN p <> {HEAVY_PARTICIPANT_ID} AND vol <> {VOLUNTEER_HEAVY_ID}
                      AND pg_temp.h(t, 100, 25) < 5 THEN 'paused'
                 ELSE 'active' END AS status,
            CASE WHEN kind = 'active' AND p <> {HEAVY_PARTICIPANT_ID}
                      AND vol <> {VOLUNTEER_HEAVY_ID} AND pg_temp.h(t, 100, 25) < 5
                 THEN {today} - pg_temp.h(t, 30, 84) END AS paused_on) AS m
        WHERE has_match;
        -- An earlier volunteer who did not click, before the current one.
        INSERT INTO matches (id, trajectory_id, volunteer_id, status, proposed_on, started_on,
                             first_meeting_at, first_meeting_place, ended_on, end_reason,
                             last_session_on, created_by_id, created_at, updated_at)
        SELECT {TRAJECTORIES} + t, t, vol2, 'ended', started - 3, started,
               started + time '13:00', 'In de bibliotheek', started + 30, 'klikte_niet',
               started + 28, owner, started - 3 + time '12:00', started + 30 + time '12:00'
        FROM rg_t WHERE second_match""")
    add("match sessions", f"""
        INSERT INTO match_sessions (match_id, held_on, minutes, practised, remark, concern,
                                    not_held_reason, concern_handled_at, concern_handled_by_id,
                                    created_by_id, created_at, updated_at)
        SELECT m.id, s.held_on,
               CASE WHEN s.not_held THEN 0 ELSE 30 + 15 * pg_temp.h(s.x, 4, 86) END,
               CASE WHEN s.not_held THEN '' ELSE
                   (ARRAY['Samen een brief gelezen', 'Oefenen met DigiD', 'Boodschappenlijst',
                          'Gesprek bij de dokter geoefend', 'Rekeningen doorgenomen'])
                   [1 + pg_temp.h(s.x, 5, 87)] END,
               CASE WHEN pg_temp.h(s.x, 10, 88) = 0 THEN 'Ging goed, volgende keer verder' END,
               s.concern,
               CASE WHEN s.not_held THEN (ARRAY['cancelled_by_participant', 'cancelled_by_volunteer',
                                                'no_show'])[1 + pg_temp.h(s.x, 3, 89)] END,
               CASE WHEN s.concern AND (m.status = 'ended' OR s.held_on < {today} - 14)
                    THEN s.held_on + 2 + time '10:00' END,
               CASE WHEN s.concern AND (m.status = 'ended' OR s.held_on < {today} - 14)
                    THEN m.created_by_id END,
               CASE WHEN m.volunteer_id <= {VOLUNTEER_ACCOUNTS} THEN 10000 + m.volunteer_id
                    ELSE m.created_by_id END,
               s.held_on + time '17:00', s.held_on + time '17:00'
        FROM (
            SELECT mm.*, LEAST(c.cap, mm.last_session_on - mm.started_on + 1) AS cap_eff,
                   GREATEST(1, LEAST(7, (mm.last_session_on - mm.started_on)
                                        / GREATEST(LEAST(c.cap, mm.last_session_on
                                                         - mm.started_on + 1) - 1, 1))) AS gap
            FROM matches mm CROSS JOIN LATERAL (SELECT
                CASE WHEN mm.id = {HEAVY_TRAJECTORY_ID} THEN 200
                     ELSE 1 + pg_temp.h(mm.id, {avg_sessions_sql}, 85) END AS cap) AS c
            WHERE mm.started_on IS NOT NULL AND mm.last_session_on IS NOT NULL) AS m
        CROSS JOIN LATERAL generate_series(0, m.cap_eff - 1) AS n
        CROSS JOIN LATERAL (SELECT
            m.last_session_on - m.gap * (m.cap_eff - 1 - n) AS held_on,
            m.id::bigint * 1000 + n AS x,
            n < m.cap_eff - 1 AND pg_temp.h(m.id::bigint * 1000 + n, 100, 90) < 5 AS not_held,
            pg_temp.h(m.id::bigint * 1000 + n, 100, 90) >= 5
                AND pg_temp.h(m.id::bigint * 1000 + n, 100, 91) < 2 AS concern) AS s;
        -- The newest "ging niet door" of a match, as the volunteer's report keeps it.
        UPDATE matches m SET last_not_held_on = x.held_on
        FROM (SELECT match_id, max(held_on) AS held_on FROM match_sessions
              WHERE not_held_reason IS NOT NULL GROUP BY match_id) AS x
        WHERE x.match_id = m.id;
        INSERT INTO session_goals (session_id, goal_id, progress)
        SELECT s.id, 2 * m.trajectory_id - 1 + (s.id % 2),
               (ARRAY['hard', 'some', 'some', 'good', 'reached'])[1 + pg_temp.h(s.id, 5, 92)]
        FROM match_sessions s JOIN matches m ON m.id = s.match_id
        WHERE s.not_held_reason IS NULL AND s.id % 3 = 0""")
    add("offers, meetings, enrolments, attendance", f"""
        INSERT INTO offers (id, location_id, kind, name, domain, formal, capacity, schedule,
                            schedule_weekday, schedule_time, schedule_starts_on,
                            schedule_ends_on, active, created_at)
        SELECT 10 * (l - 1) + k, l, ({_array(_OFFER_KINDS)})[k],
               initcap(replace(({_array(_OFFER_KINDS)})[k], '_', ' ')) || ' '
               || (ARRAY['maandag', 'dinsdag', 'woensdag', 'donderdag', 'vrijdag'])[1 + (k - 1) % 5]
               || ' ' || l,
               ({_array(_OFFER_DOMAINS)})[k], k = 8, 25, 'Elke week',
               (k - 1) % 5, (ARRAY[time '10:00', time '14:00', time '19:00'])[1 + k % 3],
               {today} - 400 + k, {today} + 200, true, {now} - interval '410 days'
        FROM generate_series(1, {LOCATIONS}) AS l, generate_series(1, 10) AS k;
        INSERT INTO offer_volunteers (offer_id, volunteer_id)
        SELECT o.id, o.location_id + 40 * pg_temp.h(o.id, 125, 93) FROM offers o;
        INSERT INTO group_meetings (offer_id, held_on, starts_at, extra, cancelled, created_at)
        SELECT o.id, d::date, o.schedule_time, false, pg_temp.h(o.id * 1000 + n, 100, 94) < 3,
               o.created_at
        FROM offers o
        CROSS JOIN LATERAL (SELECT o.schedule_starts_on
            + ((o.schedule_weekday - (extract(isodow FROM o.schedule_starts_on)::int - 1) + 7) % 7)
            AS first_day) AS f
        CROSS JOIN LATERAL generate_series(f.first_day, {today} + 56, interval '7 days')
            WITH ORDINALITY AS g(d, n);
        INSERT INTO enrollments (trajectory_id, offer_id, status, started_on, ended_on,
                                 created_by_id, created_at)
        SELECT t, 10 * (loc - 1) + 1 + pg_temp.h(t, 10, 95),
               CASE WHEN open THEN 'active' ELSE 'ended' END,
               CASE WHEN has_match THEN LEAST(started + 10, {today} - 1) ELSE started END,
               CASE WHEN NOT open THEN ended END, owner, started + time '12:00'
        FROM rg_t WHERE enrolled;
        INSERT INTO group_attendance (meeting_id, enrollment_id, status, recorded_by_id,
                                      recorded_at)
        SELECT gm.id, e.id,
               (ARRAY['present', 'present', 'present', 'present', 'present', 'present',
                      'present', 'present', 'excused', 'absent'])[1 + pg_temp.h(gm.id * 7 + e.id, 10, 96)],
               e.created_by_id, gm.held_on + time '12:00'
        FROM enrollments e JOIN rg_t r ON r.t = e.trajectory_id
        JOIN group_meetings gm ON gm.offer_id = e.offer_id AND NOT gm.cancelled
             AND gm.held_on BETWEEN GREATEST(e.started_on, {today} - 70)
                                AND COALESCE(r.quiet, {today}) - 1
        WHERE e.status = 'active'""")
    # Check-ins: the history of each trajectory, and for an open one the next step planned.
    count = f"""CASE kind WHEN 'referred' THEN 1 WHEN 'contacted' THEN 2
                         WHEN 'intake_planned' THEN 2 WHEN 'unreachable' THEN 3
                         WHEN 'waiting' THEN 2 + LEAST(10, ({today} - ik) / 14)
                         WHEN 'active' THEN 10 + pg_temp.h(t, 8, 100)
                         WHEN 'ended' THEN CASE WHEN declined THEN 1 ELSE 9 + pg_temp.h(t, 6, 100) END
                         ELSE 6 END"""
    add("check-ins", f"""
        INSERT INTO checkins (trajectory_id, match_id, rule_id, kind, topic, due_on,
                              assignee_id, status, outcome, note, done_at, done_by_id,
                              created_at)
        SELECT t, CASE WHEN c.kind LIKE 'match%' AND has_match THEN t END,
               c.rule_id, c.kind, c.topic, c.due_on, owner, c.status,
               CASE WHEN c.status = 'done' THEN (ARRAY['going_well', 'going_well', 'going_well',
                    'going_well', 'going_well', 'going_well', 'going_well', 'going_well',
                    'concerns', 'may_stop'])[1 + pg_temp.h(c.x, 10, 101)] END,
               CASE WHEN c.status = 'done' AND pg_temp.h(c.x, 4, 102) = 0
                    THEN 'Gebeld, gaat goed met de lessen' END,
               CASE WHEN c.status IN ('done', 'not_reached')
                    THEN LEAST(c.due_on + time '09:00' + pg_temp.h(c.x, 8, 103) * interval '1 hour',
                               {now} - interval '1 hour') END,
               CASE WHEN c.status IN ('done', 'not_reached') THEN owner END,
               LEAST(c.due_on - 14, {today}) + time '07:00'
        FROM (SELECT rg_t.*, {count} AS k,
                     CASE WHEN open THEN COALESCE(quiet, {today}) - 1 ELSE ended END AS stop
              FROM rg_t) AS r
        CROSS JOIN LATERAL generate_series(0, r.k - 1) AS n
        CROSS JOIN LATERAL (SELECT r.t::bigint * 32 + n AS x,
                                   n = r.k - 1 AS last) AS q
        CROSS JOIN LATERAL (SELECT q.x,
            CASE WHEN q.last AND r.open THEN
                     CASE WHEN r.kind = 'referred' THEN r.ref + 7
                          WHEN r.owner = {COORDINATOR_HEAVY_ID} AND pg_temp.h(r.t, 4, 104) = 0
                               THEN {today}
                          ELSE {today} - 21 + pg_temp.h(r.t, 42, 105) END
                 WHEN q.last AND NOT r.declined THEN r.stop + 91
                 WHEN n = 0 THEN LEAST(r.ref + 7, r.stop)
                 ELSE r.ref + ((n + 1) * (r.stop - r.ref)) / r.k END AS due_on,
            CASE WHEN q.last AND r.open THEN 'planned'
                 WHEN q.last AND NOT r.declined THEN
                     CASE WHEN r.stop + 91 > {today} THEN 'planned' ELSE 'done' END
                 WHEN n = 0 THEN CASE WHEN r.kind IN ('unreachable') THEN 'not_reached' ELSE 'done' END
                 WHEN pg_temp.h(q.x, 100, 106) < 80 THEN 'done'
                 WHEN pg_temp.h(q.x, 100, 106) < 90 THEN 'not_reached'
                 ELSE 'cancelled' END AS status,
            CASE WHEN n = 0 OR r.kind IN ('referred', 'unreachable') THEN 'first_contact'
                 WHEN q.last AND NOT r.open THEN 'aftercare'
                 WHEN r.kind IN ('contacted', 'intake_planned') THEN 'manual'
                 WHEN r.kind = 'waiting' OR n = 1 THEN 'waiting'
                 WHEN NOT r.has_match THEN CASE WHEN n = 2 THEN 'group_fit' ELSE 'manual' END
                 WHEN n = 2 THEN 'match_2w' WHEN n = 3 THEN 'match_6w'
                 ELSE 'match_3m' END AS kind) AS c0
        CROSS JOIN LATERAL (SELECT c0.*,
            CASE c0.kind WHEN 'first_contact' THEN 1 WHEN 'waiting' THEN 2 WHEN 'match_2w' THEN 3
                         WHEN 'match_6w' THEN 5 WHEN 'match_3m' THEN 7 WHEN 'aftercare' THEN 11
                         WHEN 'group_fit' THEN 12 END AS rule_id,
            CASE WHEN c0.kind = 'manual' THEN
                     CASE WHEN r.kind IN ('contacted', 'intake_planned') THEN 'Intake plannen'
                          ELSE 'Even bellen: hoe gaat het in de groep?' END END AS topic) AS c;
        -- The volunteer's own check-ins (rule match_3m_volunteer) on their open matches.
        INSERT INTO checkins (trajectory_id, match_id, rule_id, kind, due_on, assignee_id,
                              status, created_at)
        SELECT m.trajectory_id, m.id, 8, 'match_3m', {today} - 7 + pg_temp.h(m.id, 14, 107),
               10000 + m.volunteer_id, 'planned', {now} - interval '30 days'
        FROM matches m WHERE m.status = 'active' AND m.volunteer_id <= {VOLUNTEER_ACCOUNTS};
        -- The heaviest person: hundreds of check-ins over the years.
        INSERT INTO checkins (trajectory_id, match_id, rule_id, kind, topic, due_on,
                              assignee_id, status, outcome, done_at, done_by_id, created_at)
        SELECT {HEAVY_TRAJECTORY_ID}, NULL, NULL, 'manual', 'Even bellen',
               {today} - 2 * n, {COORDINATOR_HEAVY_ID},
               CASE WHEN n % 9 = 0 THEN 'not_reached' ELSE 'done' END,
               CASE WHEN n % 9 <> 0 THEN 'going_well' END,
               {today} - 2 * n + time '10:00', {COORDINATOR_HEAVY_ID},
               {today} - 2 * n - 7 + time '07:00'
        FROM generate_series(1, 300) AS n""")
    add("notifications and messages", f"""
        -- The daily digests of the last 60 days (not today's: the 07:00 run is the jobs
        -- benchmark's to make).
        INSERT INTO notifications (kind, subject_key, recipient_key, period_key, user_id, email,
                                   channel, subject, body, status, attempts, first_attempt_at,
                                   created_at, sent_at)
        SELECT 'digest', 'user:' || u.id, 'user:' || u.id, ({today} - d)::text, u.id, u.email,
               'email', 'Houvast: dit staat vandaag voor u klaar',
               'Dit staat vandaag voor u klaar in Houvast.', 'sent', 1,
               {today} - d + time '06:00', {today} - d + time '06:00',
               {today} - d + time '06:01'
        FROM users u, generate_series(1, 60) AS d WHERE u.role = 'coordinator'
        UNION ALL
        SELECT 'volunteer_reminder', 'user:' || u.id, 'user:' || u.id,
               ({today} - 7 * w)::text, u.id, u.email, 'email',
               'Houvast: vergeet uw bijeenkomsten niet', 'Wilt u uw bijeenkomsten invullen?',
               'sent', 1, {today} - 7 * w + time '06:00', {today} - 7 * w + time '06:00',
               {today} - 7 * w + time '06:02'
        FROM users u, generate_series(1, 8) AS w
        WHERE u.role = 'volunteer' AND pg_temp.h(u.id, 3, 110) = 0;
        -- The referrer heard about the first contact (share consent given).
        INSERT INTO notifications (kind, subject_key, recipient_key, period_key, email, channel,
                                   subject, body, status, attempts, first_attempt_at,
                                   created_at, sent_at)
        SELECT 'referrer_signal', 'trajectory:' || r.t, 'contact:' || r.partner_contact,
               'contact_gehad:' || r.fc, pc.email, 'email', 'Houvast: nieuws over uw aanmelding',
               'Het Taalhuis heeft contact gehad.', 'sent', 1, r.fc + time '07:00',
               r.fc + time '07:00', r.fc + time '07:01'
        FROM rg_t r JOIN partner_contacts pc ON pc.id = r.partner_contact
        JOIN consents c ON c.referral_id = r.t AND c.given
        WHERE r.fc IS NOT NULL AND NOT r.declined;
        -- The intake confirmation to the person, in their channel.
        INSERT INTO notifications (kind, subject_key, recipient_key, period_key, channel,
                                   participant_id, trajectory_id, phone, email, subject, body,
                                   status, attempts, first_attempt_at, created_at, sent_at,
                                   provider_message_id, delivery_status, delivery_status_at)
        SELECT 'msg_intake_confirmation', 'appointment:' || a.id, 'participant:' || p.id,
               'confirmation', p.preferred_channel, p.id, a.trajectory_id,
               CASE WHEN p.preferred_channel IN ('sms', 'whatsapp') THEN p.phone END,
               CASE WHEN p.preferred_channel = 'email' THEN p.email END,
               'Uw afspraak bij het Taalhuis', 'U hebt een afspraak bij het Taalhuis.',
               'sent', 1, a.created_at + interval '5 minutes', a.created_at,
               a.created_at + interval '5 minutes',
               CASE WHEN p.preferred_channel IN ('sms', 'whatsapp') THEN 'outbox-' || a.id END,
               CASE WHEN p.preferred_channel IN ('sms', 'whatsapp') THEN 'delivered' END,
               CASE WHEN p.preferred_channel IN ('sms', 'whatsapp')
                    THEN a.created_at + interval '6 minutes' END
        FROM appointments a JOIN rg_t r ON r.t = a.trajectory_id
        JOIN participants p ON p.id = r.p
        WHERE p.preferred_channel IN ('sms', 'whatsapp') AND p.phone IS NOT NULL
           OR p.preferred_channel = 'email' AND p.email IS NOT NULL;
        -- Answers: most say JA; some say something else and wait for the owner to read.
        INSERT INTO inbound_messages (provider, provider_message_id, channel, from_phone, body,
                                      received_at, participant_id, trajectory_id, meaning,
                                      answers_id, read_at, read_by_id)
        SELECT 'outbox', 'in-' || n.id, n.channel, n.phone,
               CASE WHEN pg_temp.h(n.id, 10, 111) = 0 THEN 'Ik kom wat later, is dat goed?'
                    ELSE 'JA' END,
               n.sent_at + interval '2 hours', n.participant_id, n.trajectory_id,
               CASE WHEN pg_temp.h(n.id, 10, 111) = 0 THEN 'other' ELSE 'confirm' END, n.id,
               CASE WHEN pg_temp.h(n.id, 10, 111) = 0 AND n.sent_at < {now} - interval '3 days'
                    THEN n.sent_at + interval '1 day' END,
               CASE WHEN pg_temp.h(n.id, 10, 111) = 0 AND n.sent_at < {now} - interval '3 days'
                    THEN r.owner END
        FROM notifications n JOIN rg_t r ON r.t = n.trajectory_id
        WHERE n.kind = 'msg_intake_confirmation' AND n.phone IS NOT NULL
          AND pg_temp.h(n.id, 10, 112) < 4;
        -- The heaviest person: a long history of messages and answers.
        INSERT INTO notifications (kind, subject_key, recipient_key, period_key, channel,
                                   participant_id, trajectory_id, phone, subject, body,
                                   status, attempts, first_attempt_at, created_at, sent_at,
                                   provider_message_id, delivery_status, delivery_status_at)
        SELECT 'msg_free', 'free:regional-' || n, 'participant:{HEAVY_PARTICIPANT_ID}', 'free',
               'whatsapp', {HEAVY_PARTICIPANT_ID}, {HEAVY_TRAJECTORY_ID}, '+31612345678',
               'Bericht van het Taalhuis', 'Hallo, denkt u aan de les van morgen?', 'sent', 1,
               {now} - n * interval '4 days', {now} - n * interval '4 days',
               {now} - n * interval '4 days' + interval '1 minute', 'outbox-free-' || n,
               'read', {now} - n * interval '4 days' + interval '1 hour'
        FROM generate_series(1, 120) AS n;
        INSERT INTO inbound_messages (provider, provider_message_id, channel, from_phone, body,
                                      received_at, participant_id, trajectory_id, meaning,
                                      read_at, read_by_id)
        SELECT 'outbox', 'in-free-' || n, 'whatsapp', '+31612345678', 'Ja, ik kom',
               {now} - n * interval '4 days' + interval '2 hours', {HEAVY_PARTICIPANT_ID},
               {HEAVY_TRAJECTORY_ID}, 'other',
               CASE WHEN n > 2 THEN {now} - n * interval '4 days' + interval '3 hours' END,
               CASE WHEN n > 2 THEN {COORDINATOR_HEAVY_ID} END
        FROM generate_series(1, 60) AS n;
        INSERT INTO contact_attempts (trajectory_id, at, by_id, reached, channel, note,
                                      first_contact)
        SELECT {HEAVY_TRAJECTORY_ID}, {now} - n * interval '5 days' - interval '3 hours',
               {COORDINATOR_HEAVY_ID}, n % 4 <> 0, 'phone', 'Gebeld', false
        FROM generate_series(1, 100) AS n;
        -- A few people sent STOP.
        INSERT INTO message_stops (participant_id, channel, phone, stopped_at, source)
        SELECT p.id, 'sms', p.phone, {now} - (p.id % 200) * interval '1 day', 'answer'
        FROM participants p WHERE p.id % 900 = 3 AND p.phone IS NOT NULL""")
    add("self-registrations, API tokens, erasure requests, closed days", f"""
        INSERT INTO self_registrations (first_name, phone, best_moment, topics, question,
                                        helped_by, status, created_at, decided_at,
                                        decided_by_id, trajectory_id)
        SELECT p.first_name, p.phone, 'Na 14 uur', 'lezen,digitaal', 'Ik wil beter lezen',
               NULL, 'accepted', r.ref - 1 + time '18:00', r.ref + time '08:00', r.owner, r.t
        FROM rg_t r JOIN participants p ON p.id = r.p
        WHERE r.pid = {PARTNERS} AND p.phone IS NOT NULL
        UNION ALL
        SELECT ({first})[1 + pg_temp.h(i, {len(_FIRST)}, 113)],
               '+3164' || lpad(i::text, 7, '0'), NULL, 'spreken_luisteren', NULL,
               CASE WHEN i % 4 = 0 THEN 'Mijn dochter' END,
               CASE WHEN i <= 150 THEN 'pending' ELSE 'rejected' END,
               CASE WHEN i <= 150 THEN {now} - i * interval '2 hours'
                    ELSE {now} - i * interval '1 day' END,
               CASE WHEN i > 150 THEN {now} - i * interval '1 day' + interval '1 day' END,
               CASE WHEN i > 150 THEN 200 + i % {LOCATIONS} END, NULL
        FROM generate_series(1, 450) AS i;
        INSERT INTO api_tokens (partner_id, name, token_hash, prefix, created_at,
                                created_by_id, revoked_at, last_used_at)
        VALUES ({PARTNER_HEAVY_ID}, 'Koppeling klantsysteem', :api_token_hash, :api_token_prefix,
                {now} - interval '200 days', {ADMIN_ID}, NULL, {now} - interval '1 hour');
        INSERT INTO api_tokens (partner_id, name, token_hash, prefix, created_at,
                                created_by_id, revoked_at, last_used_at)
        SELECT p, 'Koppeling ' || p, md5('token' || p) || md5('regional' || p),
               'hv_' || substr(md5('token' || p), 1, 7), {now} - interval '300 days',
               {ADMIN_ID}, CASE WHEN p % 5 = 0 THEN {now} - interval '30 days' END,
               {now} - (p % 20) * interval '1 day'
        FROM generate_series(2, 30) AS p;
        INSERT INTO erasure_requests (version, participant_id, status, requested_by_id,
                                      requested_at)
        SELECT 1, 5000 + 100 * i, 'requested', 100 + 2 * ((5000 + 100 * i) % {LOCATIONS}),
               {now} - i * interval '1 day'
        FROM generate_series(1, 10) AS i;
        INSERT INTO closed_days (day)
        SELECT d::date FROM generate_series(date '2026-12-24', date '2026-12-31',
                                            interval '1 day') AS d""")
    add("audit events", f"""
        INSERT INTO audit_events (at, user_id, action, object_type, object_id, participant_id,
                                  summary, ip)
        SELECT {now} - pg_temp.h(i, 525600, 120) * interval '1 minute',
               CASE WHEN a.k < 8 THEN 100 + pg_temp.h(i, 80, 121) ELSE 200 + pg_temp.h(i, 40, 121) END,
               (ARRAY['view', 'view', 'view', 'view', 'view', 'update', 'create', 'view',
                      'view', 'login'])[1 + a.k],
               (ARRAY['participant', 'participant', 'participant', 'trajectory', 'participant',
                      'trajectory', 'checkin', 'participant_list', 'task_list', 'user'])[1 + a.k],
               CASE WHEN a.k < 7 THEN a.pid END,
               CASE WHEN a.k < 7 THEN a.pid END,
               NULL, '10.0.' || (i % 250) || '.' || (i % 200)
        FROM generate_series(1, {AUDIT_EVENTS - HEAVY_AUDIT_EVENTS}) AS i
        CROSS JOIN LATERAL (SELECT pg_temp.h(i, 10, 122) AS k,
                                   2 + pg_temp.h(i, {PEOPLE - 1}, 123) AS pid) AS a;
        INSERT INTO audit_events (at, user_id, action, object_type, object_id, participant_id,
                                  summary, ip)
        SELECT {now} - i * interval '5 hours',
               (ARRAY[{COORDINATOR_HEAVY_ID}, {COORDINATOR_HEAVY_ID}, {COORDINATOR_LOCATION_ID},
                      200, {ADMIN_ID}])[1 + i % 5],
               CASE WHEN i % 4 = 0 THEN 'update' ELSE 'view' END,
               CASE WHEN i % 4 = 0 THEN 'trajectory' ELSE 'participant' END,
               CASE WHEN i % 4 = 0 THEN {HEAVY_TRAJECTORY_ID} ELSE {HEAVY_PARTICIPANT_ID} END,
               {HEAVY_PARTICIPANT_ID}, NULL, '10.1.0.' || (i % 200)
        FROM generate_series(1, {HEAVY_AUDIT_EVENTS}) AS i""")
    add("trajectories, last contact and out of view", f"""
        -- The last contact, from every contact there was (record_contact: a contact
        -- reached, a check-in done, a session held, a group meeting attended, the intake).
        CREATE TEMP TABLE rg_c ON COMMIT DROP AS
        SELECT x.t, LEAST(max(x.at), {now}) AS at FROM (
            SELECT trajectory_id AS t, at FROM contact_attempts WHERE reached
            UNION ALL SELECT trajectory_id, done_at FROM checkins WHERE status = 'done'
            UNION ALL SELECT m.trajectory_id, max(s.held_on) + time '12:00'
                      FROM match_sessions s JOIN matches m ON m.id = s.match_id
                      WHERE s.not_held_reason IS NULL GROUP BY m.trajectory_id
            UNION ALL SELECT e.trajectory_id, max(g.held_on) + time '12:00'
                      FROM group_attendance a JOIN group_meetings g ON g.id = a.meeting_id
                      JOIN enrollments e ON e.id = a.enrollment_id
                      WHERE a.status = 'present' GROUP BY e.trajectory_id
            UNION ALL SELECT trajectory_id, held_on + time '10:00' FROM intakes
        ) AS x GROUP BY x.t;
        CREATE UNIQUE INDEX ON rg_c (t);
        INSERT INTO trajectories (id, participant_id, location_id, owner_id, status,
                                  referred_on, intake_planned_at, waiting_since,
                                  first_waiting_since, started_on, ended_on, outcome,
                                  end_reason, last_contact_at, out_of_view_since, partner_id,
                                  first_contact_on, intake_on, created_at, updated_at)
        SELECT r.t, r.p, r.loc, r.owner, CASE WHEN r.kind = 'old' THEN 'ended' ELSE r.kind END,
               r.ref, r.ipa, CASE WHEN r.kind = 'waiting' THEN r.ik END,
               CASE WHEN r.ik IS NOT NULL AND (r.kind = 'waiting' OR r.started IS NOT NULL)
                    THEN r.ik END,
               r.started, r.ended, r.outcome,
               CASE WHEN r.outcome IN ('stopped', 'moved', 'unreachable')
                    THEN (ARRAY['gezondheid', 'familie', 'verhuisd', 'te_moeilijk',
                                'onbereikbaar'])[1 + pg_temp.h(r.t, 5, 54)] END,
               c.at,
               -- When the hourly scan flagged it: 42 days of silence (the default), for
               -- open trajectories of people who are not restricted.
               CASE WHEN NOT r.open OR r.p % 1500 = 7 THEN NULL
                    WHEN c.at < {now} - interval '42 days' THEN c.at + interval '42 days'
                    WHEN c.at IS NULL AND r.ref < {today} - 42 THEN r.ref + 43 + time '06:00'
                    END,
               r.pid, r.fc, r.ik, r.ref + time '08:00', COALESCE(c.at, r.ref + time '08:00')
        FROM rg_t r LEFT JOIN rg_c c ON c.t = r.t;
        -- The alerts those scans sent, in the ledger (so the next scan sends them not again).
        INSERT INTO notifications (kind, subject_key, recipient_key, period_key, user_id,
                                   channel, subject, body, link, status, attempts, created_at,
                                   sent_at)
        SELECT 'out_of_view', 'trajectory:' || t.id, 'user:' || u.id,
               (t.out_of_view_since + interval '1 hour')::date::text, u.id, 'app',
               'Buiten beeld: ' || p.first_name || ' ' || left(p.last_name, 1) || '.',
               'Al 6 weken geen contact.', '/deelnemers/' || p.id, 'sent', 0,
               t.out_of_view_since, t.out_of_view_since
        FROM trajectories t JOIN participants p ON p.id = t.participant_id
        JOIN users u ON u.id = COALESCE(t.owner_id, 100 + 2 * (t.location_id - 1))
        WHERE t.out_of_view_since IS NOT NULL
        UNION ALL
        SELECT 'waiting_too_long', 'trajectory:' || t.id, 'user:' || u.id,
               t.waiting_since::text, u.id, 'app',
               'Wacht te lang: ' || p.first_name || ' ' || left(p.last_name, 1) || '.',
               'Wacht al meer dan 3 weken op een aanbod.', '/deelnemers/' || p.id, 'sent', 0,
               t.first_waiting_since + 22 + time '06:00', t.first_waiting_since + 22 + time '06:00'
        FROM trajectories t JOIN participants p ON p.id = t.participant_id
        JOIN users u ON u.id = COALESCE(t.owner_id, 100 + 2 * (t.location_id - 1))
        WHERE t.status = 'waiting' AND t.first_waiting_since < {today} - 21
          AND p.restricted_at IS NULL""")
    return steps


# --- Building ---------------------------------------------------------------------------------

def _engine(url_or_app):
    """An engine and whether this module made it (then it is disposed of afterwards)."""
    if isinstance(url_or_app, str | sa.engine.URL):
        url = str(url_or_app) if isinstance(url_or_app, str) else url_or_app
        return sa.create_engine(_psycopg(url) if isinstance(url, str) else url), True
    from app.extensions import db

    with url_or_app.app_context():
        return db.engine, False


def _psycopg(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _execute_all(conn, sql: str, params: dict) -> None:
    for statement in sql.split(";\n"):
        if statement.strip():
            conn.execute(sa.text(statement), {k: v for k, v in params.items()
                                              if f":{k}" in statement})


def _reset_sequences(conn) -> None:
    """Rows were inserted with their ids: move each id sequence past the largest id."""
    rows = conn.execute(sa.text("""
        SELECT c.table_name, pg_get_serial_sequence(c.table_name, c.column_name)
        FROM information_schema.columns c
        WHERE c.table_schema = 'public' AND c.column_name = 'id'
          AND pg_get_serial_sequence(c.table_name, c.column_name) IS NOT NULL""")).all()
    for table, sequence in rows:
        conn.execute(sa.text(
            f"SELECT setval('{sequence}', GREATEST((SELECT max(id) FROM {table}), 1))"))


def build(url_or_app, *, log=print) -> dict:
    """Fill an empty, migrated database with the regional data set; returns row counts and
    the seconds it took. Needs a superuser (session_replication_role skips the per-row
    foreign-key triggers, which would otherwise take most of the time)."""
    from app.auth.passwords import hash_password
    from app.core.readmodels import refresh_all

    started = time.perf_counter()
    engine, own = _engine(url_or_app)
    params = {
        # Hashed once, at production strength (outside an app context): every account shares it.
        "password_hash": hash_password(PASSWORD),
        "api_token_hash": hashlib.sha256(API_TOKEN.encode()).hexdigest(),
        "api_token_prefix": API_TOKEN[:10],
    }
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
            conn.execute(sa.text("SET LOCAL work_mem = '256MB'"))
            steps = _steps()
            for what, sql in steps:
                if what == "match sessions":
                    # The sessions per match, on average, that make SESSIONS in total.
                    matches = conn.scalar(sa.text(
                        "SELECT count(*) FROM matches WHERE started_on IS NOT NULL"))
                    per_match = max(1, round((SESSIONS - 200) / max(matches, 1)))
                    sql = dict(_steps(str(2 * per_match - 1)))[what]
                step_started = time.perf_counter()
                _execute_all(conn, sql, params)
                log(f"  {what}: {time.perf_counter() - step_started:.1f} s")
            _reset_sequences(conn)
            step_started = time.perf_counter()
            refresh_all(conn)
            log(f"  readmodels.refresh_all: {time.perf_counter() - step_started:.1f} s")
        # As a live database is between bulk loads: statistics and visibility maps up to
        # date, and the fill written out now rather than while pages are being timed.
        step_started = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # The one table updated after its insert: written again without the old rows.
            conn.execute(sa.text("VACUUM (FULL) matches"))
            conn.execute(sa.text("VACUUM (ANALYZE)"))
            conn.execute(sa.text("CHECKPOINT"))
        log(f"  vacuum analyze: {time.perf_counter() - step_started:.1f} s")
        with engine.connect() as conn:
            counts = {table: conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) for table in (
                "participants", "trajectories", "checkins", "volunteers", "matches",
                "match_sessions", "audit_events", "referrals", "consents", "notifications",
                "contact_attempts", "appointments", "enrollments", "users")}
    finally:
        if own:
            engine.dispose()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def summary(counts: dict) -> str:
    return ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items()
                     if k != "seconds") + f"; built in {counts['seconds']:.0f} s"


# --- The template database ---------------------------------------------------------------------

SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _server(url: str | None = None):
    target = sa.engine.make_url(_psycopg(url or SERVER_URL)).set(database="postgres")
    return sa.create_engine(target, isolation_level="AUTOCOMMIT")


def bench_app(url: str):
    """An app on `url` as every benchmark uses it: the test configuration, and no
    per-statement limit (filling a million rows is one long statement)."""
    from app import create_app
    from config import TestConfig

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config["SQLALCHEMY_DATABASE_URI"] = url
    config["DB_STATEMENT_TIMEOUT"] = 0
    os.environ.setdefault("HOUVAST_INSTANCE_PATH", tempfile.mkdtemp())
    return create_app(config)


def _migrated_app(url: str):
    """An app on `url` with the schema migrated to head (the database exists and is empty)."""
    from flask_migrate import upgrade

    app = bench_app(url)
    with app.app_context():
        upgrade()
    return app


def template_exists(server_url: str | None = None, name: str = TEMPLATE) -> bool:
    engine = _server(server_url)
    with engine.connect() as conn:
        found = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": name})
    engine.dispose()
    return bool(found)


def build_template(server_url: str | None = None, *, name: str = TEMPLATE, log=print) -> dict:
    """(Re)build a template database: drop, create, migrate to head, fill.

    Fails at once when someone is connected to the old template (a rebuild must not wait
    for, or cut off, a copy in progress). The finished template refuses connections, so
    nobody can block the next copy by keeping a session open on it."""
    engine = _server(server_url)
    with engine.connect() as conn:
        busy = conn.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
        if busy:
            raise SystemExit(f"{busy} session(s) on {name}: not rebuilding it now")
        if conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'ALTER DATABASE "{name}" IS_TEMPLATE false'))
            conn.execute(sa.text(f'DROP DATABASE "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = engine.url.set(database=name).render_as_string(hide_password=False)
    app = _migrated_app(url)
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()
    counts = build(url, log=log)
    with engine.connect() as conn:
        conn.execute(sa.text(
            f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false'))
    engine.dispose()
    return counts


def copy_template(url: str, server_url: str | None = None, template: str = TEMPLATE) -> None:
    """Make the database of `url` a fresh copy of `template` (dropped first if it exists)."""
    target = sa.engine.make_url(_psycopg(str(url)))
    engine = _server(server_url or target.render_as_string(hide_password=False))
    name = target.database
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        # FILE_COPY: copies the files and writes one WAL record, much faster than WAL_LOG
        # for a database of this size.
        conn.execute(sa.text(
            f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY = FILE_COPY'))
    engine.dispose()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--template"]:
        server = argv[1] if len(argv) > 1 else None
        counts = build_template(server)
        print(f"{TEMPLATE}: {summary(counts)}")
        return 0
    if len(argv) == 1:
        counts = build(argv[0])
        print(summary(counts))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
