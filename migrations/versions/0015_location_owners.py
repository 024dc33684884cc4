"""Location owners (fixed or in turn), several referrals per trajectory, trajectory moves

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-03 06:20:44.967580

"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('trajectory_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trajectory_id', sa.Integer(), nullable=False),
    sa.Column('from_location_id', sa.Integer(), nullable=False),
    sa.Column('to_location_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('moved_by_id', sa.Integer(), nullable=True),
    sa.Column('moved_at', app.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['from_location_id'], ['locations.id'], name=op.f('fk_trajectory_moves_from_location_id_locations')),
    sa.ForeignKeyConstraint(['moved_by_id'], ['users.id'], name=op.f('fk_trajectory_moves_moved_by_id_users')),
    sa.ForeignKeyConstraint(['to_location_id'], ['locations.id'], name=op.f('fk_trajectory_moves_to_location_id_locations')),
    sa.ForeignKeyConstraint(['trajectory_id'], ['trajectories.id'], name=op.f('fk_trajectory_moves_trajectory_id_trajectories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trajectory_moves'))
    )
    with op.batch_alter_table('trajectory_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trajectory_moves_trajectory_id'), ['trajectory_id'], unique=False)

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_mode', sa.String(length=20), server_default='none', nullable=False))
        batch_op.add_column(sa.Column('default_owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_owner_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_locations_last_owner_id_users'), 'users', ['last_owner_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_locations_default_owner_id_users'), 'users', ['default_owner_id'], ['id'])

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_primary', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_referrals_trajectory_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_referrals_trajectory_id'), ['trajectory_id'], unique=False)



def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_trajectory_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_referrals_trajectory_id'), ['trajectory_id'])
        batch_op.drop_column('is_primary')

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_locations_default_owner_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_locations_last_owner_id_users'), type_='foreignkey')
        batch_op.drop_column('last_owner_id')
        batch_op.drop_column('default_owner_id')
        batch_op.drop_column('owner_mode')

    with op.batch_alter_table('trajectory_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trajectory_moves_trajectory_id'))

    op.drop_table('trajectory_moves')
