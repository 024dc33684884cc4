"""phone numbers in E.164: every stored phone that is a real number becomes "+31612345678"

Forms and the API now accept only real numbers and store them as E.164 (app/core/phone.py).
Rows from before were free text ("06-12 34 56 78", "+31 6 1234 5678"); this rewrites those
that phonenumbers can read (Dutch unless they carry a country code) and leaves the rest as
they were typed, so nothing is lost. participants.phone_normalised, the duplicate-match key,
becomes the E.164 value too (NULL for a phone that is not a real number). No schema change.

The rule is copied here on purpose, not imported from the app: a migration must keep doing
what it did when it was written.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:50:00.000000

"""
from alembic import op
import phonenumbers
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# (table, column) of every phone number Houvast stores.
PHONE_COLUMNS = [
    ("participants", "phone"),
    ("volunteers", "phone"),
    ("partners", "phone"),
    ("partner_contacts", "phone"),
    ("referrals", "referrer_phone"),
    ("self_registrations", "phone"),
]


def _e164(value):
    if not value or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, "NL")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upgrade():
    bind = op.get_bind()
    for table_name, column in PHONE_COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column, sa.String))
        rows = bind.execute(sa.select(table.c.id, table.c[column])
                            .where(table.c[column].is_not(None))).all()
        for row_id, value in rows:
            e164 = _e164(value)
            if e164 and e164 != value:
                bind.execute(table.update().where(table.c.id == row_id)
                             .values({column: e164}))
    participants = sa.table("participants", sa.column("id", sa.Integer),
                            sa.column("phone", sa.String),
                            sa.column("phone_normalised", sa.String))
    for row_id, value, key in bind.execute(
            sa.select(participants.c.id, participants.c.phone,
                      participants.c.phone_normalised)).all():
        e164 = _e164(value)
        if e164 != key:
            bind.execute(participants.update().where(participants.c.id == row_id)
                         .values(phone_normalised=e164))


def downgrade():
    # The typed spelling is gone; E.164 numbers stay, which the old code reads fine. Only the
    # match key goes back to its old form: digits, with +31 folded to a leading 0.
    bind = op.get_bind()
    participants = sa.table("participants", sa.column("id", sa.Integer),
                            sa.column("phone", sa.String),
                            sa.column("phone_normalised", sa.String))
    for row_id, value in bind.execute(
            sa.select(participants.c.id, participants.c.phone)).all():
        digits = "".join(c for c in value or "" if c.isdigit())
        if (value or "").strip().startswith("+31"):
            digits = "0" + digits[2:]
        elif digits.startswith("0031"):
            digits = "0" + digits[4:]
        bind.execute(participants.update().where(participants.c.id == row_id)
                     .values(phone_normalised=digits or None))
