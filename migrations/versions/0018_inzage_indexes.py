"""Indexes for the inzage and "Wie keek er?": one person's audit events newest first
(participant_id, at, id), and the ledger's messages about one person's records by subject.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 15:25:22.943688

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_participant_at', ['participant_id', 'at', 'id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_subject_key', ['subject_key'], unique=False)



def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_subject_key')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_participant_at')

