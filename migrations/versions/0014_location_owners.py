"""Location owners (fixed or in turn), several referrals per trajectory, trajectory moves

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 06:20:44.967580

"""
from alembic import op
import sqlalchemy as sa

import app.core.db


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
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

    # Plain ADD COLUMN, also on SQLite: a batch copy of `locations` would drop the table
    # that users, trajectories and offers point at, which the foreign keys refuse. SQLite
    # cannot add a constraint to a table, but it takes a (named) one on a new column.
    op.add_column('locations', sa.Column('owner_mode', sa.String(length=20), server_default='registrar', nullable=False))
    for column in ('default_owner_id', 'last_owner_id'):
        name = f'fk_locations_{column}_users'
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE locations ADD COLUMN {column} INTEGER '
                       f'CONSTRAINT {name} REFERENCES users (id)')
        else:
            op.add_column('locations', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(name, 'locations', 'users', [column], ['id'])

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_primary', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_referrals_trajectory_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_referrals_trajectory_id'), ['trajectory_id'], unique=False)



def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # As in 0005: the batch copy of `locations` drops the table others point at; the
        # pragma lets it, and only works before the first data change opens a transaction
        # (the app turns the keys on again for every new connection).
        op.execute("PRAGMA foreign_keys=OFF")
    # One referral per trajectory again: the second referrers' referrals cannot stay.
    referrals = sa.table("referrals", sa.column("is_primary", sa.Boolean))
    op.execute(referrals.delete().where(referrals.c.is_primary.is_(sa.false())))
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_trajectory_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_referrals_trajectory_id'), ['trajectory_id'])
        batch_op.drop_column('is_primary')

    with op.batch_alter_table('locations', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':
            # (SQLite: the copy without the columns has no such keys either.)
            batch_op.drop_constraint('fk_locations_default_owner_id_users', type_='foreignkey')
            batch_op.drop_constraint('fk_locations_last_owner_id_users', type_='foreignkey')
        batch_op.drop_column('last_owner_id')
        batch_op.drop_column('default_owner_id')
        batch_op.drop_column('owner_mode')

    with op.batch_alter_table('trajectory_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trajectory_moves_trajectory_id'))

    op.drop_table('trajectory_moves')
