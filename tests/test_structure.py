"""How the app is put together: hooks connected by create_app, not by importing views; the
check-ins and participants services without an import cycle; one base for domain errors;
SQLite foreign keys."""

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from app import create_app
from app.core import events
from app.core.db import sqlite_foreign_keys
from app.core.errors import DomainError, domain_action
from app.notifications import service as notifications
from app.participants import timeline
from app.participants.service import set_owner
from app.seed import SEED_STEPS
from app.selfreg.service import SelfRegError

from . import factories
from .factories import aware

ROOT = Path(__file__).resolve().parent.parent


def _names(functions) -> list[str]:
    return [f"{fn.__module__}.{fn.__name__}" for fn in functions]


def _python(code: str) -> str:
    return subprocess.run(  # noqa: S603 (this interpreter, our own fixed code)
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()


def test_importing_every_view_connects_no_hook():
    counts = _python(
        "import importlib\n"
        "from app import FEATURES\n"
        "for name in FEATURES: importlib.import_module(f'app.{name}.views')\n"
        "from app.core import events\n"
        "from app.notifications import service\n"
        "from app.participants import timeline\n"
        "from app.seed import SEED_STEPS\n"
        "print(len(events._subscribers), len(timeline._timeline_providers),"
        " len(timeline._due_providers), len(service._sections), len(SEED_STEPS),"
        " len(service._delivery_guards))\n")
    # Only the two built-in demo-data steps, which app.seed lists itself.
    assert counts == "0 0 0 0 2 0"


def test_every_app_has_each_features_hooks_once_in_feature_order(app):
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})

    assert _names(events._subscribers) == [
        "app.checkins.service.on_event", "app.portal.service.on_trajectory_event",
        "app.appointments.service.on_event", "app.messaging.kinds.on_event"]
    assert _names(timeline._timeline_providers) == [
        "app.participants.timeline.consent_timeline", "app.participants.timeline.move_timeline",
        "app.referrals.timeline.referral_timeline",
        "app.intakes.timeline.intake_timeline", "app.matching.timeline.matching_timeline",
        "app.groups.timeline.attendance_timeline", "app.checkins.timeline.checkin_timeline",
        "app.appointments.timeline.appointment_timeline",
        "app.messaging.staff.message_timeline"]
    assert _names(timeline._due_providers) == [
        "app.referrals.timeline.referral_due", "app.intakes.timeline.goal_target_dates",
        "app.matching.timeline.matching_due", "app.groups.timeline.next_meeting_due",
        "app.checkins.timeline.checkin_due"]
    # Matching's concerns come before the waiting list: equal order, earlier feature.
    assert [(r.fn.__name__, r.order) for r in notifications._sections] == [
        ("checkins_section", 10), ("volunteer_checkins_section", 10),
        ("intakes_section", 12), ("answers_section", 14), ("late_referrals_section", 20),
        ("out_of_view_section", 30),
        ("without_next_step_section", 35), ("concerns_section", 40), ("waiting_section", 40),
        ("checkin_concerns_section", 42), ("silent_matches_section", 45)]
    # Contacts and sessions that did not happen report on the volunteers' matches: after them.
    assert _names(SEED_STEPS)[-6:] == ["app.volunteers.seed.seed_volunteers_and_matches",
                                       "app.groups.seed.seed_group_meetings",
                                       "app.checkins.seed.seed_contacts",
                                       "app.checkins.seed.seed_waiting_again",
                                       "app.messaging.seed.seed_participant_messages",
                                       "app.privacy.seed.seed_old_trajectories"]
    assert list(notifications._delivery_guards) == [
        "referrer_signal", "msg_intake_confirmation", "msg_intake_reminder",
        "msg_match_first_meeting", "msg_group_first_meeting", "msg_group_reminder",
        "msg_waiting_not_forgotten"]


def test_participants_service_does_not_load_the_checkins_service():
    loaded = _python("import sys\nimport app.participants.service\n"
                     "print('app.checkins.service' in sys.modules)")
    assert loaded == "False"


def test_a_new_owner_takes_over_the_open_checkins_of_the_old_one(db):
    now = aware(2026, 11, 23, 9, 0)
    old, new = factories.user("coordinator"), factories.user("coordinator")
    trajectory = factories.trajectory(owner=old)
    events.emit("referral_registered", trajectory, now)
    assert [c.assignee_id for c in _open_checkins(db, trajectory)] == [old.id]

    assert set_owner(trajectory, new, new, now)
    db.session.commit()

    assert [c.assignee_id for c in _open_checkins(db, trajectory)] == [new.id]


def _open_checkins(db, trajectory):
    from app.checkins.models import CheckIn

    db.session.expire_all()
    return db.session.scalars(
        sa.select(CheckIn).where(CheckIn.trajectory_id == trajectory.id,
                                 CheckIn.status == "planned")).all()


def test_sqlite_foreign_key_listener_is_connected_once_however_many_apps(app):
    def listeners():
        return list(sa.create_engine("sqlite://").pool.dispatch.connect)

    before = len(listeners())
    for _ in range(3):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    assert len(listeners()) == before
    assert listeners().count(sqlite_foreign_keys) == 1
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_every_domain_error_has_a_dutch_message_for_the_page(app):
    from app.admin.service import AdminRuleError
    from app.checkins.service import CheckInError
    from app.matching.service import MatchingError
    from app.referrals.service import MergeError, OpenTrajectoryError, ReferralError
    from app.volunteers.service import VolunteerError

    for cls in (AdminRuleError, CheckInError, MatchingError, MergeError, ReferralError,
                SelfRegError, VolunteerError, OpenTrajectoryError):
        assert issubclass(cls, DomainError)
    with app.test_request_context("/"):
        assert str(CheckInError()) == "Dit contactmoment is al afgerond of vervallen."
        assert str(SelfRegError()) == "Over deze aanmelding is al besloten."
        assert str(MatchingError("Dit aanbod is gestopt.")) == "Dit aanbod is gestopt."


def test_domain_action_undoes_the_change_and_flashes_the_reason(app, db):
    from flask import get_flashed_messages

    from app.admin.models import Location

    with app.test_request_context("/"):
        location = factories.location(name="Bibliotheek Oost")
        db.session.commit()
        with domain_action():
            location.name = "Half gewijzigd"
            db.session.flush()
            raise SelfRegError()
        assert get_flashed_messages(with_categories=True) == [
            ("error", "Over deze aanmelding is al besloten.")]
        assert db.session.scalar(
            sa.select(Location.name).where(Location.id == location.id)) == "Bibliotheek Oost"
