"""notifications.first_attempt_at: the retry window of an e-mail starts at its first try

Mail claimed while the scheduler was down (a Friday claim first tried on Monday) was given
up after one try, because the window counted from the claim. Rows from before keep NULL
until their next attempt sets it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:55:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.add_column(sa.Column('first_attempt_at', app.core.db.UTCDateTime(),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.drop_column('first_attempt_at')
