"""first waiting since: the waiting time counts from the first wait of a trajectory

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 06:47:04.179396

A person whose match or group ended waits again; `waiting_since` is that new wait,
`first_waiting_since` the first day of waiting in the trajectory (the total, its alert and
"langst wachtend" count from it). Existing rows: the intake date (the intake is where the
first wait began), else the current wait.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('trajectories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_waiting_since', sa.Date(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_trajectories_status_waiting_since'))
        batch_op.create_index('ix_trajectories_status_first_waiting_since', ['status', 'first_waiting_since'], unique=False)
    # Only trajectories that got past the intake ever waited.
    op.execute(
        "UPDATE trajectories SET first_waiting_since = CASE "
        "WHEN intake_on IS NOT NULL AND (waiting_since IS NULL OR intake_on < waiting_since) "
        "THEN intake_on ELSE waiting_since END "
        "WHERE status IN ('waiting', 'active', 'ended') "
        "AND (intake_on IS NOT NULL OR waiting_since IS NOT NULL)"
    )


def downgrade():
    with op.batch_alter_table('trajectories', schema=None) as batch_op:
        batch_op.drop_index('ix_trajectories_status_first_waiting_since')
        batch_op.create_index(batch_op.f('ix_trajectories_status_waiting_since'), ['status', 'waiting_since'], unique=False)
        batch_op.drop_column('first_waiting_since')
