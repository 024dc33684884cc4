"""default follow-up rules of DESIGN.md

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Frozen here on purpose: an admin changes rules in the app; later default changes are new
# migrations. (code, name, event, offset, unit, assignee, repeat_every, checkin_kind)
RULES = [
    ("first_contact", "Eerste contact na de aanmelding", "referral_registered",
     5, "working_days", "owner", None, "first_contact"),
    ("waiting", "Wacht op aanbod: even bellen hoe het gaat", "intake_done",
     14, "days", "owner", 14, "waiting"),
    ("match_2w_owner", "Klikt het? (2 weken na de start)", "match_started",
     14, "days", "owner", None, "match_2w"),
    ("match_2w_volunteer", "Klikt het? (2 weken na de start)", "match_started",
     14, "days", "volunteer", None, "match_2w"),
    ("match_6w_owner", "Hoe gaat het? (6 weken na de start)", "match_started",
     42, "days", "owner", None, "match_6w"),
    ("match_6w_volunteer", "Hoe gaat het? (6 weken na de start)", "match_started",
     42, "days", "volunteer", None, "match_6w"),
    ("match_3m_owner", "Hoe gaat het? (elke 3 maanden)", "match_started",
     91, "days", "owner", 91, "match_3m"),
    ("match_3m_volunteer", "Hoe gaat het? (elke 3 maanden)", "match_started",
     91, "days", "volunteer", 91, "match_3m"),
    ("match_end", "Eindgesprek van de koppeling", "match_ended",
     0, "days", "owner", None, "match_end"),
    ("goal_evaluation", "Leerdoel bespreken: is het gelukt?", "goal_target_set",
     0, "days", "owner", None, "goal_evaluation"),
    ("aftercare", "Nazorg: hoe gaat het nu? (3 maanden na afsluiten)", "trajectory_ended",
     91, "days", "owner", None, "aftercare"),
]

followup_rules = sa.table(
    "followup_rules",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("event", sa.String),
    sa.column("offset", sa.Integer),
    sa.column("offset_unit", sa.String),
    sa.column("assignee", sa.String),
    sa.column("repeat_every", sa.Integer),
    sa.column("checkin_kind", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("sort_order", sa.Integer),
)


def upgrade():
    keys = ("code", "name", "event", "offset", "offset_unit", "assignee", "repeat_every",
            "checkin_kind")
    rows = [dict(zip(keys, rule, strict=True), active=True, sort_order=i * 10)
            for i, rule in enumerate(RULES)]
    op.bulk_insert(followup_rules, rows)


def downgrade():
    codes = [rule[0] for rule in RULES]
    op.execute(followup_rules.delete().where(followup_rules.c.code.in_(codes)))
