"""waiting as a rule event of its own; retry pause for failed e-mail

"Waiting" rules used to hang on intake_done, so they could not fire when the last match or
group place ended. The default waiting rule moves to the new "waiting" event. Failed e-mail
now waits before the next attempt (next_attempt_at) instead of five quick tries in a row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 18:47:53.610953

"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

followup_rules = sa.table(
    "followup_rules",
    sa.column("code", sa.String),
    sa.column("event", sa.String),
)
notifications = sa.table(
    "notifications",
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("created_at", app.core.db.UTCDateTime),
    sa.column("next_attempt_at", app.core.db.UTCDateTime),
)
# The attempt limit before this migration: failed rows below it were still being retried.
OLD_MAX_ATTEMPTS = 5


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', app.core.db.UTCDateTime(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_notifications_status'))
        batch_op.create_index('ix_notifications_status_next_attempt', ['status', 'next_attempt_at'], unique=False)

    # Failures still in the old retry window stay retryable: due at once (a time in the
    # past); without a next attempt they would count as given up.
    op.execute(
        notifications.update()
        .where(notifications.c.status == "failed",
               notifications.c.attempts < OLD_MAX_ATTEMPTS)
        .values(next_attempt_at=notifications.c.created_at)
    )
    # Only the default rule; an admin could not change a rule's event before this revision.
    op.execute(
        followup_rules.update()
        .where(followup_rules.c.code == "waiting", followup_rules.c.event == "intake_done")
        .values(event="waiting")
    )


def downgrade():
    # Before this revision every rule on intake_done was a waiting rule.
    op.execute(
        followup_rules.update()
        .where(followup_rules.c.event == "waiting")
        .values(event="intake_done")
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_status_next_attempt')
        batch_op.create_index(batch_op.f('ix_notifications_status'), ['status'], unique=False)
        batch_op.drop_column('next_attempt_at')
