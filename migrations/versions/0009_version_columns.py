"""version columns for optimistic locking (participants, volunteers, partners, intakes) and
the one-time key of the referral form

Each UPDATE of these rows checks and raises `version` (SQLAlchemy's version_id_col), and the
edit forms carry the version they were opened on, so a save over someone else's newer
changes is refused instead of silently undoing them. Existing rows start at 1.
referrals.form_key (unique, empty for referrals from before, the API and self-registration):
the same staff form posted twice makes one referral.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 15:57:48.084419

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TABLES = ("intakes", "participants", "partners", "volunteers")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1',
                                          nullable=False))
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_referrals_form_key'), ['form_key'])


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_referrals_form_key'), type_='unique')
        batch_op.drop_column('form_key')
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
