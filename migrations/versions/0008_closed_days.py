"""closed days: which public holidays count as closed (an admin setting) and the Taalhuis's
own closed days

Without a calendar_settings row the defaults apply: the Dutch public holidays without Goede
Vrijdag, Bevrijdingsdag every five years (app/core/timeutil.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('closed_holidays', sa.String(length=300), nullable=False),
        sa.Column('liberation_day', sa.String(length=20), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_settings')),
    )
    op.create_table(
        'closed_days',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_closed_days')),
        sa.UniqueConstraint('day', name=op.f('uq_closed_days_day')),
    )


def downgrade():
    op.drop_table('closed_days')
    op.drop_table('calendar_settings')
