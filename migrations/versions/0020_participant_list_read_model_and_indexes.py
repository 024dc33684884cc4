"""The participant list at regional scale (issue 14): an index on its sort key (the lowered
names), trigram indexes for the search by part of a name or phone number, an index for the work queue's sort on the primary referral, an index on anonymised_at (every list leaves those few out), and each person's newest trajectory per location as a stored flag with indexes for
the list's filters, filled here for the existing trajectories.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 19:06:44.707398

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_NEWEST = sa.text('newest_at_location')


def upgrade():
    # Not in batch mode: on SQLite that would copy the table, and dropping the old copy
    # trips the keys that point at it; ADD COLUMN works in place on both databases.
    op.add_column('trajectories', sa.Column('newest_at_location', sa.Boolean(),
                                            server_default=sa.false(), nullable=False))

    # The read model for the trajectories there are (app/participants/current.py keeps it
    # in step from now on), set-based: the highest id per person and location.
    trajectories = sa.table('trajectories', sa.column('id', sa.Integer),
                            sa.column('participant_id', sa.Integer),
                            sa.column('location_id', sa.Integer),
                            sa.column('newest_at_location', sa.Boolean))
    newest = (sa.select(sa.func.max(trajectories.c.id))
              .group_by(trajectories.c.participant_id, trajectories.c.location_id))
    op.execute(sa.update(trajectories).where(trajectories.c.id.in_(newest))
               .values(newest_at_location=True))

    with op.batch_alter_table('trajectories', schema=None) as batch_op:
        batch_op.create_index('ix_trajectories_newest_location_status', ['location_id', 'status'], unique=False, postgresql_where=_NEWEST, sqlite_where=_NEWEST)
        batch_op.create_index('ix_trajectories_newest_owner', ['owner_id'], unique=False, postgresql_where=_NEWEST, sqlite_where=_NEWEST)
        batch_op.create_index('ix_trajectories_newest_participant', ['participant_id', 'id'], unique=False, postgresql_where=_NEWEST, sqlite_where=_NEWEST)
        batch_op.create_index('ix_trajectories_newest_status', ['status'], unique=False, postgresql_where=_NEWEST, sqlite_where=_NEWEST)

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index('ix_participants_anonymised_at', ['anonymised_at'], unique=False)
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_primary_queue', ['trajectory_id', 'first_contact_due', 'result_on'], unique=False, postgresql_where=sa.text('is_primary'), sqlite_where=sa.text('is_primary'))
    op.create_index('ix_participants_lower_name', 'participants',
                    [sa.text('lower(last_name)'), sa.text('lower(first_name)'), 'id'],
                    unique=False)

    # Searching by a part of a name or phone number: trigram indexes on PostgreSQL. pg_trgm
    # ships with PostgreSQL and is a trusted extension (13+): the database's owner may add
    # it. On SQLite the same indexes are plain ones (the options are PostgreSQL's), so
    # both databases match the models.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index('ix_participants_first_name_trgm', [sa.literal_column('lower(first_name)').label('f')], unique=False, postgresql_using='gin', postgresql_ops={'f': 'gin_trgm_ops'})
        batch_op.create_index('ix_participants_last_name_trgm', [sa.literal_column('lower(last_name)').label('l')], unique=False, postgresql_using='gin', postgresql_ops={'l': 'gin_trgm_ops'})
        batch_op.create_index('ix_participants_phone_trgm', ['phone_normalised'], unique=False, postgresql_using='gin', postgresql_ops={'phone_normalised': 'gin_trgm_ops'})


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_primary_queue')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index('ix_participants_phone_trgm')
        batch_op.drop_index('ix_participants_last_name_trgm')
        batch_op.drop_index('ix_participants_first_name_trgm')
    op.drop_index('ix_participants_lower_name', table_name='participants')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index('ix_participants_anonymised_at')
    with op.batch_alter_table('trajectories', schema=None) as batch_op:
        batch_op.drop_index('ix_trajectories_newest_status')
        batch_op.drop_index('ix_trajectories_newest_participant')
        batch_op.drop_index('ix_trajectories_newest_owner')
        batch_op.drop_index('ix_trajectories_newest_location_status')
    if op.get_bind().dialect.name == 'sqlite':
        # In place (SQLite 3.35+): batch mode would copy the table, and dropping the old
        # copy trips the keys that point at it. The column is in no index any more.
        op.execute('ALTER TABLE trajectories DROP COLUMN newest_at_location')
        return
    op.drop_column('trajectories', 'newest_at_location')
