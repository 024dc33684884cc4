"""trajectory milestones: partner, first contact and intake date on the trajectory; indexes
for the waiting list and overdue check-ins

The reports read a whole year of trajectories at once; joining referrals and intakes for
that was most of the dashboard's time. The trajectory now carries copies (kept in step by
app/participants/milestones.py), filled here from the records of truth.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:50:22.522924

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

FK_NAME = "fk_trajectories_partner_id_partners"
CONTACT_RESULTS = "('reached', 'declined', 'forwarded')"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: that copies and drops "trajectories", which the foreign keys of
        # referrals, check-ins and others point at. SQLite can add a referencing column.
        op.execute(f"ALTER TABLE trajectories ADD COLUMN partner_id INTEGER "
                   f"CONSTRAINT {FK_NAME} REFERENCES partners (id)")
    else:
        op.add_column("trajectories", sa.Column("partner_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK_NAME, "trajectories", "partners", ["partner_id"], ["id"])
    op.add_column("trajectories", sa.Column("first_contact_on", sa.Date(), nullable=True))
    op.add_column("trajectories", sa.Column("intake_on", sa.Date(), nullable=True))

    op.create_index("ix_trajectories_status_waiting_since", "trajectories",
                    ["status", "waiting_since"])
    op.create_index("ix_checkins_planned_due_trajectory", "checkins",
                    ["due_on", "trajectory_id"],
                    postgresql_where=sa.text("status = 'planned'"),
                    sqlite_where=sa.text("status = 'planned'"))

    op.execute(
        "UPDATE trajectories SET "
        "partner_id = (SELECT r.partner_id FROM referrals r "
        "              WHERE r.trajectory_id = trajectories.id), "
        "first_contact_on = (SELECT r.result_on FROM referrals r "
        "                    WHERE r.trajectory_id = trajectories.id "
        f"                     AND r.result IN {CONTACT_RESULTS}), "
        "intake_on = (SELECT i.held_on FROM intakes i WHERE i.trajectory_id = trajectories.id)"
    )


def downgrade():
    op.drop_index("ix_checkins_planned_due_trajectory", table_name="checkins")
    op.drop_index("ix_trajectories_status_waiting_since", table_name="trajectories")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a referencing column in place; batch mode copies the table, and
        # dropping the old copy must not trip the keys that point at it. The pragma only
        # works outside a transaction (pysqlite opens one at the first data change), and the
        # app turns the keys on again for every new connection.
        op.execute("PRAGMA foreign_keys=OFF")
        with op.batch_alter_table("trajectories") as batch_op:
            batch_op.drop_column("intake_on")
            batch_op.drop_column("first_contact_on")
            batch_op.drop_column("partner_id")
        return
    op.drop_constraint(FK_NAME, "trajectories", type_="foreignkey")
    op.drop_column("trajectories", "intake_on")
    op.drop_column("trajectories", "first_contact_on")
    op.drop_column("trajectories", "partner_id")
