"""version columns for optimistic locking: participants, volunteers, partners, intakes

Each UPDATE of these rows checks and raises `version` (SQLAlchemy's version_id_col), and the
edit forms carry the version they were opened on, so a save over someone else's newer
changes is refused instead of silently undoing them. Existing rows start at 1.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:57:48.084419

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TABLES = ("intakes", "participants", "partners", "volunteers")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1',
                                          nullable=False))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
