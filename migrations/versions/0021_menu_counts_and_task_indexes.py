"""Indexes for the pages opened all day at regional scale (issue 14): the open concerns
(the menu's count and the "Zorgen" list), a page of planned check-ins in due order (task
lists), the unread count in the menu, and the few restricted or anonymised people every
scoped query leaves out.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 19:15:51.674372

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

PLANNED = "status = 'planned'"
OPEN_CONCERN_PG = "concern IS true AND concern_handled_at IS NULL"
OPEN_CONCERN_SQLITE = "concern IS 1 AND concern_handled_at IS NULL"
OUT_OF_WORK = "restricted_at IS NOT NULL OR anonymised_at IS NOT NULL"


def upgrade():
    op.create_index('ix_checkins_planned_due_id', 'checkins', ['due_on', 'id', 'trajectory_id'],
                    postgresql_where=sa.text(PLANNED), sqlite_where=sa.text(PLANNED))
    # Replaced by the partial index: it held every session, handled or not.
    op.drop_index('ix_match_sessions_concern_open', table_name='match_sessions')
    op.create_index('ix_match_sessions_open_concern', 'match_sessions',
                    ['created_at', 'id', 'match_id'],
                    postgresql_where=sa.text(OPEN_CONCERN_PG),
                    sqlite_where=sa.text(OPEN_CONCERN_SQLITE))
    op.create_index('ix_notifications_user_unread', 'notifications', ['user_id'],
                    postgresql_where=sa.text('read_at IS NULL'),
                    sqlite_where=sa.text('read_at IS NULL'))
    op.create_index('ix_participants_out_of_work', 'participants', ['id'],
                    postgresql_where=sa.text(OUT_OF_WORK), sqlite_where=sa.text(OUT_OF_WORK))


def downgrade():
    op.drop_index('ix_participants_out_of_work', table_name='participants')
    op.drop_index('ix_notifications_user_unread', table_name='notifications')
    op.drop_index('ix_match_sessions_open_concern', table_name='match_sessions')
    op.create_index('ix_match_sessions_concern_open', 'match_sessions',
                    ['concern', 'concern_handled_at'])
    op.drop_index('ix_checkins_planned_due_id', table_name='checkins')
