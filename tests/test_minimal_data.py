"""Minimal data, checked: no column (or table) whose name suggests a BSN, an identity
document, nationality or ethnicity, country of origin, a full date of birth, health data or
another special category of personal data (AVG art. 9 and 10).

DESIGN.md promises minimal data: birth year only, no BSN, no country of origin or
nationality, no health details. This test keeps that promise when someone adds a column:
it fails, and the name has to go, or has to be argued for in ALLOWED below. It reads both the
models (every table of the metadata) and the schema the migrations actually built (the test
database is made by running them), so a column added by a migration alone is caught too.
"""

import re
from collections.abc import Iterable

import sqlalchemy as sa

import app.models  # noqa: F401  (registers every table with the metadata)
from app.extensions import db as _db

# (what the name suggests, pattern). Names are compared in lower case with words split on
# underscores (camelCase split too), so `(^|_)bsn` also finds bsn_nummer and participantBSN.
# Long stems match anywhere; short words only as a whole word, so "ssn" is not in "lessnote"
# and "land" not in "landline".
PATTERNS: tuple[tuple[str, str], ...] = (
    ("BSN of ander identiteitsnummer", r"(^|_)bsn|burgerservice|(^|_)sofi(_|nummer|nr|$)"
     r"|social_?security|(^|_)ssn($|_)|citizen_?service|national_?id|vreemdelingennummer"
     r"|(^|_)v_?nummer($|_)"),
    ("identiteitsbewijs", r"passport|paspoort|identiteits|id_?card|id_?document"
     r"|document_?(number|nummer)"),
    ("nationaliteit of afkomst", r"nationalit|citizenship|staatsburger|ethnic|etnic|etnisch"
     r"|(^|_)race($|_)|afkomst|allochto|autochto|migratie|migration_?background|immigra"
     r"|verblijfs|residence_?(permit|status)|asylum|asiel|inburgeringsplicht"),
    ("land van herkomst", r"herkomst|countr|(^|_)origin($|_)|(^|_)land($|_)"),
    ("geboortedatum", r"birth|geboorte|geboren|(^|_)dob($|_)|(^|_)born"),
    ("gezondheid", r"health|gezond|medic|medisch|diagnos|disab|beperking|handicap|illness"
     r"|disease|(^|_)ziek|sick|patient|therap|psych|mental|dyslex|dyscalc|(^|_)adhd"
     r"|autis|pregnan|zwanger|(^|_)(blind|doof|deaf)($|_)|slechtziend|slechthorend"
     r"|impair|huisarts|(^|_)gp($|_)|zorgindicatie|(^|_)zorg_?(indicatie|behoefte)"),
    ("geloof", r"relig|geloof|(^|_)faith($|_)"),
    ("seksuele geaardheid", r"sexual|seksu|orientation|geaardheid"),
    ("politieke voorkeur of vakbond", r"politic|politiek|vakbond|trade_?union|union_?member"),
    ("biometrische of genetische gegevens", r"biometri|genetic|genetisch|fingerprint"
     r"|vingerafdruk"),
    ("strafrechtelijke gegevens", r"criminal|crimineel|strafblad|strafrecht|conviction"
     r"|veroordeling"),
)
_COMPILED = tuple((what, re.compile(pattern)) for what, pattern in PATTERNS)

# (table, column) names that match a pattern on purpose, each with the reason. Only this
# exact column in this exact table: the same name elsewhere fails again, so each new place
# is a decision of its own.
ALLOWED: dict[tuple[str, str], str] = {
    # The year only, never the full date: the duplicate check on registering (same name and
    # phone or birth year) and the age groups of the municipality report need no more. A
    # full date of birth with a name is enough to identify someone anywhere.
    ("participants", "birth_year"): "alleen het jaar: dubbele aanmelding en leeftijdsgroep",
}


def _words(name: str) -> str:
    # participantBSN -> participant_bsn; "Land-van-Herkomst" -> land_van_herkomst
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("-", "_").lower()


def suggests(name: str) -> str | None:
    """What kind of sensitive data the name suggests, or None."""
    words = _words(name)
    for what, pattern in _COMPILED:
        if pattern.search(words):
            return what
    return None


def sensitive_columns(tables: Iterable[tuple[str, Iterable[str]]],
                      allowed: dict[tuple[str, str], str] = ALLOWED) -> list[str]:
    """Every table or column name that suggests sensitive data and is not in `allowed`, as
    "table.column: what". `tables` is (table name, column names) pairs."""
    found = []
    for table, columns in tables:
        what = suggests(table)
        if what:
            found.append(f"{table}: {what}")
        for column in columns:
            what = suggests(column)
            if what and (table, column) not in allowed:
                found.append(f"{table}.{column}: {what}")
    return found


def _metadata_tables(metadata: sa.MetaData) -> list[tuple[str, list[str]]]:
    return [(t.name, [c.name for c in t.columns]) for t in metadata.sorted_tables]


def _database_tables(engine) -> list[tuple[str, list[str]]]:
    inspector = sa.inspect(engine)
    return [(name, [c["name"] for c in inspector.get_columns(name)])
            for name in inspector.get_table_names()]


# --- The app's own schema -----------------------------------------------------------------

def test_no_model_has_a_column_that_suggests_sensitive_data():
    assert sensitive_columns(_metadata_tables(_db.metadata)) == []


def test_the_schema_the_migrations_built_has_no_such_column_either(db):
    tables = _database_tables(db.engine)
    # The database really was read: the participants' columns are there.
    assert "birth_year" in dict(tables)["participants"]
    assert sensitive_columns(tables) == []


def test_every_allowed_column_still_exists():
    # An exception for a column that is gone would quietly allow it again if it came back.
    present = {(t.name, c.name) for t in _db.metadata.sorted_tables for c in t.columns}
    assert set(ALLOWED) <= present


# --- The check itself can fail --------------------------------------------------------------

def test_a_table_with_sensitive_columns_is_reported():
    metadata = sa.MetaData()
    sa.Table("people", metadata,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("first_name", sa.String(80)),
             sa.Column("bsn", sa.String(9)),
             sa.Column("nationaliteit", sa.String(40)),
             sa.Column("land_van_herkomst", sa.String(40)),
             sa.Column("date_of_birth", sa.Date),
             sa.Column("medische_info", sa.Text),
             sa.Column("birth_year", sa.Integer))
    sa.Table("health_notes", metadata, sa.Column("id", sa.Integer, primary_key=True))

    found = sensitive_columns(_metadata_tables(metadata))

    assert found == [
        "health_notes: gezondheid",
        "people.bsn: BSN of ander identiteitsnummer",
        "people.nationaliteit: nationaliteit of afkomst",
        "people.land_van_herkomst: land van herkomst",
        "people.date_of_birth: geboortedatum",
        "people.medische_info: gezondheid",
        # Allowed in participants only: anywhere else it is a new decision.
        "people.birth_year: geboortedatum",
    ]


def test_the_patterns_catch_the_usual_names_in_dutch_and_english():
    flagged = [
        "bsn", "bsn_nummer", "participantBSN", "burgerservicenummer", "sofinummer", "sofi_nr",
        "social_security_number", "ssn", "passport_number", "id_card_number",
        "nationality", "nationaliteit", "nationalities", "ethnicity", "etniciteit",
        "migratieachtergrond", "verblijfsstatus",
        "country_of_origin", "origin_country", "herkomst", "land_van_herkomst", "herkomstland",
        "birth_country", "geboorteland", "country", "land",
        "date_of_birth", "birth_date", "birthdate", "birthday", "geboortedatum", "geboren_op",
        "dob", "born_on", "place_of_birth", "geboorteplaats",
        "health", "health_notes", "gezondheid", "medical_notes", "medisch", "medicatie",
        "diagnosis", "diagnose", "disability", "beperking", "handicap", "ziekte",
        "mental_health", "psychische_klachten", "dyslexie",
        "religion", "religie", "sexual_orientation", "criminal_record", "strafblad",
    ]
    missed = [name for name in flagged if suggests(name) is None]
    assert missed == []


def test_ordinary_names_are_not_reported():
    # Words that contain a short pattern without meaning it: no false alarms on the schema
    # of tomorrow either.
    ordinary = ["lessons", "landline", "island", "original_text", "sofa", "dobbelsteen",
                "native_language", "language_background", "sex", "postcode4", "screening_result",
                "concern", "vog_on", "restricted_at", "anonymised_at", "digital_level",
                "first_name", "municipality"]
    assert {name: suggests(name) for name in ordinary if suggests(name)} == {}
