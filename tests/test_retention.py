"""Retention that enforces itself: old trajectories are anonymised by the nightly job (and by
`jobs tick`), the municipality report keeps its numbers, and the audit log, the ledger and
the outbox are cleaned up after their own settings."""

import csv
import io
import os
from datetime import date, datetime, timedelta

import openpyxl
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.checkins.models import CheckIn, FollowUpSetting
from app.intakes.models import Intake, LearningGoal
from app.matching.models import Match, MatchSession
from app.messaging.models import InboundMessage
from app.notifications.models import Notification
from app.participants.models import Consent, Participant, Trajectory
from app.participants.service import participant_list_query
from app.privacy.anonymise import ANONYMOUS_NAME, REMOVED, anonymise_participant
from app.referrals.models import ContactAttempt, Referral
from app.referrals.service import find_possible_duplicates
from app.reports import service as reports
from jobs.retention import months_before, outbox_dir, run_retention

from . import factories
from .test_reports import YEAR, build

LAST_YEAR = {"start": "2025-01-01", "end": "2025-12-31"}
# t1 (ended 2026-03-01) and t5 (ended 2026-03-04) are more than 24 months ago; the rest of
# the data set is open or ended later.
PAST_LIMIT = "2028-03-15T04:00"
PAST_LIMIT_UTC = factories.aware(2028, 3, 15, 3, 0)
SECRET_TEXTS = ("Geheime motivatie", "Wil graag de krant lezen", "Belde met de buurvrouw",
                "Zorg om de schulden", "Sanne Verwijzer", "0612121212", "Hoi met Dirk",
                "Kapotte fiets")


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True)[1:]), delimiter=";"))


def _xlsx(response) -> list[list]:
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def _reports(client) -> dict:
    return {
        "csv 2026": _csv(client.get("/rapportage/gemeente.csv", query_string=YEAR)),
        "xlsx 2026": _xlsx(client.get("/rapportage/gemeente.xlsx", query_string=YEAR)),
        "csv 2025": _csv(client.get("/rapportage/gemeente.csv", query_string=LAST_YEAR)),
        "xlsx 2025": _xlsx(client.get("/rapportage/gemeente.xlsx", query_string=LAST_YEAR)),
    }


def _with_free_texts(db, data) -> dict:
    """The known data set of the report tests, with a free text in every place retention
    must empty, on the old trajectories (t1 of Fatima, t5 of Dirk)."""
    fatima, dirk = data["fatima"], data["dirk"]
    t1, t2 = sorted(fatima.trajectories, key=lambda t: t.id)
    (t5,) = dirk.trajectories
    dirk.birth_year = 1987
    dirk.email = "dirk@example.org"
    dirk.postcode4 = "3512"
    dirk.native_language = "Fries"
    contact = factories.partner_contact(name="Sanne Verwijzer")
    t1.referral.partner_contact_id = contact.id
    t1.referral.referrer_phone = "0612121212"
    t5.referral.question = "Wil graag de krant lezen"
    t5.referral.referrer_name = "Sanne Verwijzer"
    t1.intake.motivation = "Geheime motivatie"
    for goal in t1.goals:
        goal.own_words = "Wil graag de krant lezen"
    db.session.add(ContactAttempt(trajectory_id=t5.id, reached=True, channel="phone",
                                  note="Belde met de buurvrouw",
                                  at=factories.aware(2026, 3, 3, 10, 0)))
    factories.checkin(t1, due_on=date(2026, 1, 5), status="done", note="Zorg om de schulden")
    old_match = db.session.scalar(sa.select(Match).where(Match.trajectory_id == t1.id))
    for session in old_match.sessions:
        session.remark = "Kapotte fiets"
    db.session.add(Consent(participant_id=dirk.id, kind="processing", given=True,
                           method="verbal", note="Zorg om de schulden"))
    db.session.add(Notification(
        kind="msg_free", subject_key="free:1", recipient_key=f"participant:{dirk.id}",
        period_key="1", channel="sms", participant_id=dirk.id, trajectory_id=t5.id,
        phone="+31612121212", subject="Bericht", body="Hoi met Dirk", status="sent"))
    db.session.add(Notification(
        kind="out_of_view", subject_key=f"trajectory:{t1.id}", recipient_key="user:1",
        period_key="x", channel="app", subject="Fatima El Amrani is buiten beeld",
        body="Hoi met Dirk", status="sent"))
    db.session.add(InboundMessage(provider="outbox", provider_message_id="in-1",
                                  channel="sms", from_phone="+31612121212",
                                  body="Hoi met Dirk", participant_id=dirk.id,
                                  trajectory_id=t5.id))
    # Texts on the open trajectory of Fatima stay: she is still helped.
    t2.referral.question = "Nog steeds bezig"
    db.session.commit()
    return {"t1": t1.id, "t2": t2.id, "t5": t5.id, "fatima": fatima.id, "dirk": dirk.id}


def _texts_anywhere(db) -> str:
    """Every text column of the tables retention touches, as one string."""
    parts = []
    for model in (Participant, Referral, ContactAttempt, Intake, LearningGoal, CheckIn,
                  MatchSession, Consent, Notification, InboundMessage):
        for row in db.session.execute(sa.select(model.__table__)).mappings():
            parts.extend(str(v) for v in row.values() if isinstance(v, str))
    return " ".join(parts)


def test_jobs_tick_past_the_limit_anonymises_old_trajectories_only_and_keeps_the_report(
        app, client, auth, db, runner):
    data = build(db)
    ids = _with_free_texts(db, data)
    assert all(text in _texts_anywhere(db) for text in SECRET_TEXTS)
    auth.login(data["coordinator"])
    before = _reports(client)

    result = runner.invoke(args=["jobs", "tick", "--at", PAST_LIMIT])

    assert result.exit_code == 0, result.output
    assert "bewaartermijnen: 2 trajecten en 1 deelnemers geanonimiseerd" in result.output
    db.session.expire_all()
    anonymised = set(db.session.scalars(
        sa.select(Trajectory.id).where(Trajectory.anonymised_at.is_not(None))))
    assert anonymised == {ids["t1"], ids["t5"]}
    # Dirk has no trajectory left in use: his name and contact data are gone.
    dirk = db.session.get(Participant, ids["dirk"])
    assert dirk.anonymised_at is not None
    assert (dirk.first_name, dirk.last_name, dirk.phone, dirk.phone_normalised, dirk.email,
            dirk.postcode4, dirk.native_language) == (ANONYMOUS_NAME, "", None, None, None,
                                                      None, None)
    assert dirk.birth_year == 1985 and dirk.language_background == "nt2"
    # Fatima is still helped (t2 is open): she keeps her name, her old trajectory does not
    # keep its texts, the open one does.
    fatima = db.session.get(Participant, ids["fatima"])
    assert fatima.anonymised_at is None and fatima.full_name == "Fatima El Amrani"
    texts = _texts_anywhere(db)
    assert [text for text in SECRET_TEXTS if text in texts] == []
    assert "Nog steeds bezig" in texts
    t1 = db.session.get(Trajectory, ids["t1"])
    assert t1.referral.partner_contact_id is None and t1.referral.partner_id is not None
    assert t1.referral.question == REMOVED
    assert (t1.ended_on, t1.outcome, t1.status) == (date(2026, 3, 1), "goal_reached", "ended")
    assert sorted(g.status for g in t1.goals) == ["achieved", "partly_achieved", "stopped"]
    assert t1.intake.scale == "nt2"

    # The municipality report of both years gives the same numbers.
    assert _reports(client) == before
    # One audit line for the run, with its counts and no names.
    line = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "retention"))
    assert line.summary.startswith("bewaartermijnen: 2 trajecten en 1 deelnemers")
    assert "Dirk" not in line.summary


def test_anonymised_people_never_show_up_with_a_name(app, client, auth, db):
    data = build(db)
    ids = _with_free_texts(db, data)
    auth.login(data["coordinator"])
    monitor_before = _csv(client.get("/rapportage/monitor.csv", query_string=YEAR))

    run_retention(PAST_LIMIT_UTC)

    for q in ("Dirk", "Dekker", "geanonimiseerd", "0612345678"):
        found = db.session.scalars(participant_list_query(
            sa.select(Participant), sa.true(), q=q)).all()
        assert ids["dirk"] not in [p.id for p in found], q
    page = client.get("/deelnemers/", query_string={"q": "Geanonimiseerd"})
    assert page.status_code == 200
    assert f'href="/deelnemers/{ids["dirk"]}"' not in page.get_data(as_text=True)
    # Registering Dirk Dekker again with the same phone and birth year finds nobody: he
    # is a new person now.
    assert find_possible_duplicates(sa.select(Participant), "Dirk", "Dekker",
                                    "06-12345678", 1987) == []
    assert find_possible_duplicates(sa.select(Participant), ANONYMOUS_NAME, "", None,
                                    1985) == []
    # The monitor file still counts him (a pseudonym), without postcode or native language.
    monitor = _csv(client.get("/rapportage/monitor.csv", query_string=YEAR))
    assert len(monitor) == len(monitor_before)
    secret = app.config["SECRET_KEY"]
    row = next(r for r in monitor if r[0] == reports.pseudonym(ids["dirk"], secret))
    assert row[1:5] == ["1985", "", "", ""] and row[8:] == ["2026-03-04", "NT2"]
    text = repr(monitor)
    assert "Dekker" not in text and ANONYMOUS_NAME not in text


def _snapshot(db) -> dict:
    db.session.expire_all()
    tables = [t for t in db.metadata.sorted_tables if t.name != "audit_events"]
    return {t.name: sorted(map(repr, db.session.execute(sa.select(t)).all())) for t in tables}


def test_a_second_run_changes_nothing(app, db):
    data = build(db)
    _with_free_texts(db, data)
    first = run_retention(PAST_LIMIT_UTC)
    assert (first.trajectories, first.participants) == (2, 1)
    before = _snapshot(db)

    second = run_retention(PAST_LIMIT_UTC + timedelta(hours=1))

    assert (second.trajectories, second.participants) == (0, 0)
    assert _snapshot(db) == before
    # Also anonymising one person again by hand changes nothing more.
    anonymise_participant(db.session.get(Participant, data["dirk"].id), now=PAST_LIMIT_UTC)
    db.session.commit()
    assert _snapshot(db) == before


def test_before_the_limit_nothing_is_anonymised_and_the_setting_moves_it(app, db):
    data = build(db)
    _with_free_texts(db, data)
    # One day short of 24 months after t1 ended (2026-03-01).
    assert run_retention(factories.aware(2028, 2, 29, 3, 0)).trajectories == 0
    db.session.add(FollowUpSetting(key="retention_trajectory_months", value=36))
    db.session.commit()
    assert run_retention(PAST_LIMIT_UTC).trajectories == 0
    assert run_retention(factories.aware(2029, 3, 5, 3, 0)).trajectories == 2


def test_audit_events_skipped_digest_rows_and_outbox_files_have_their_own_retention(app, db):
    now = factories.aware(2031, 6, 1, 3, 0)
    user = factories.user("coordinator")
    for years, summary in ((6, "oud"), (4, "recent")):
        db.session.add(AuditEvent(action="view", object_type="participant", summary=summary,
                                  at=now - timedelta(days=365 * years)))

    def digest(days: int, status: str, kind: str = "digest") -> None:
        db.session.add(Notification(
            kind=kind, subject_key=f"user:{user.id}", recipient_key=f"user:{user.id}",
            period_key=f"{kind}-{days}-{status}", user_id=user.id, channel="app",
            subject="(niets te melden)", body="", status=status,
            created_at=now - timedelta(days=days)))

    digest(120, "skipped")
    digest(100, "skipped", "volunteer_reminder")
    digest(60, "skipped")
    digest(120, "sent")
    db.session.commit()
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    old, recent = folder / "old-mail.eml", folder / "recent.sms.json"
    for path, days in ((old, 31), (recent, 29)):
        path.write_text("Aan: Fatima")
        moment = (now - timedelta(days=days)).timestamp()
        os.utime(path, (moment, moment))

    result = run_retention(now)

    assert (result.audit_events, result.skipped_rows, result.outbox_files) == (1, 2, 1)
    summaries = set(db.session.scalars(sa.select(AuditEvent.summary)))
    assert "oud" not in summaries and "recent" in summaries
    left = db.session.execute(sa.select(Notification.kind, Notification.status)).all()
    assert sorted(left) == [("digest", "sent"), ("digest", "skipped")]
    assert not old.exists() and recent.exists()
    recent.unlink()
    line = db.session.scalar(sa.select(AuditEvent.summary)
                             .where(AuditEvent.object_type == "retention"))
    assert "1 logboekregels, 2 lege dagberichten en 1 outbox-bestanden weggehaald" in line
    # The settings are the admin's: a longer audit retention keeps the old line next time.
    db.session.add(AuditEvent(action="view", object_type="participant", summary="oud",
                              at=now - timedelta(days=365 * 6)))
    db.session.add(FollowUpSetting(key="retention_audit_years", value=10))
    db.session.commit()
    assert run_retention(now).audit_events == 0


def test_old_daily_messages_lose_their_text_after_the_trajectory_setting(app, db):
    now = factories.aware(2029, 6, 1, 3, 0)
    user = factories.user("coordinator")
    for days in (800, 30):
        db.session.add(Notification(
            kind="digest", subject_key=f"user:{user.id}", recipient_key=f"user:{user.id}",
            period_key=str(days), user_id=user.id, email=user.email, channel="email",
            subject="Houvast: 1 ding", body="Bel Fatima El Amrani", html="<p>Fatima</p>",
            status="sent", created_at=now - timedelta(days=days)))
    db.session.commit()

    assert run_retention(now).digests == 1

    bodies = dict(db.session.execute(
        sa.select(Notification.period_key, Notification.body)).all())
    assert bodies == {"800": REMOVED, "30": "Bel Fatima El Amrani"}


def test_a_turned_down_self_registration_is_emptied_after_the_trajectory_setting(app, db):
    from app.selfreg.models import SelfRegistration

    now = factories.aware(2029, 6, 1, 3, 0)
    for days in (800, 30):
        db.session.add(SelfRegistration(first_name=f"Zelfmelder{days}", phone="0612121212",
                                        question="Ik wil lezen", status="rejected",
                                        created_at=now - timedelta(days=days)))
    db.session.commit()

    assert run_retention(now).registrations == 1

    rows = db.session.execute(sa.select(SelfRegistration.first_name, SelfRegistration.phone,
                                        SelfRegistration.question)).all()
    assert sorted(rows) == [(ANONYMOUS_NAME, "", None),
                            ("Zelfmelder30", "0612121212", "Ik wil lezen")]


def test_the_retention_settings_are_on_the_admin_page(client, auth, db):
    auth.as_role("admin")
    page = client.get("/beheer/opvolgregels/termijnen").get_data(as_text=True)
    assert "Gegevens bewaren na afsluiten" in page and "24 maanden" in page
    assert "Logboek bewaren" in page and "5 jaar" in page
    assert "Lege dagberichten bewaren" in page and "3 maanden" in page


def test_months_before_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert months_before(date(2028, 3, 15), 24) == date(2026, 3, 15)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2028, 1, 10), 3) == date(2027, 10, 10)
    assert isinstance(PAST_LIMIT_UTC, datetime)


def test_the_demo_data_past_the_limit_is_anonymised_and_its_years_keep_their_numbers(
        app, client, auth, db, runner, demo_data):
    ended = db.session.execute(sa.select(sa.func.count(), sa.func.max(Trajectory.ended_on))
                               .where(Trajectory.status == "ended")).one()
    assert ended[0] > 0, "the demo has ended trajectories"
    auth.login("admin@houvast.demo", demo_data.password)
    before = _reports(client)
    # 24 months after the newest end of the demo (seeded on 2026-11-20), and a day.
    moment = months_before(ended[1], -24) + timedelta(days=1)

    result = runner.invoke(args=["jobs", "tick", "--at", f"{moment.isoformat()}T04:00"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(
        Trajectory.status == "ended", Trajectory.anonymised_at.is_(None))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(
        Trajectory.status != "ended", Trajectory.anonymised_at.is_not(None))) == 0
    gone = db.session.scalars(sa.select(Participant).where(
        Participant.anonymised_at.is_not(None))).all()
    assert gone and {p.first_name for p in gone} == {ANONYMOUS_NAME}
    assert f"bewaartermijnen: {ended[0]} trajecten" in result.output
    assert _reports(client) == before


def test_the_demo_people_of_long_ago_are_anonymised_on_the_first_tick(
        app, client, auth, db, runner, demo_data):
    """The demo holds five trajectories that ended in 2024, over 24 months before it was
    made: the first `jobs tick` anonymises them (and only them), and the municipality report
    of 2024 keeps its numbers."""
    year_2024 = {"start": "2024-01-01", "end": "2024-12-31"}
    auth.login("admin@houvast.demo", demo_data.password)
    before = _csv(client.get("/rapportage/gemeente.csv", query_string=year_2024))
    old = db.session.scalars(sa.select(Trajectory.id).where(
        Trajectory.ended_on < date(2024, 11, 20))).all()
    assert len(old) == 5

    result = runner.invoke(args=["jobs", "tick", "--at", "2026-11-21T04:00"])

    assert result.exit_code == 0, result.output
    assert "bewaartermijnen: 5 trajecten en 5 deelnemers geanonimiseerd" in result.output
    db.session.expire_all()
    assert sorted(db.session.scalars(sa.select(Trajectory.id).where(
        Trajectory.anonymised_at.is_not(None)))) == sorted(old)
    people = db.session.scalars(sa.select(Participant).join(Trajectory).where(
        Trajectory.id.in_(old))).all()
    assert {p.first_name for p in people} == {ANONYMOUS_NAME}
    assert _csv(client.get("/rapportage/gemeente.csv", query_string=year_2024)) == before
    # The report of 2024 has something to keep: these five came and ended in it.
    assert ["Deelnemers", "Deelnemers in de periode", "5"] in before
    assert ["Aanmeldingen in de periode", "Afgesloten", "5"] in before


def test_a_check_in_still_planned_on_an_anonymised_trajectory_is_nobodys_task(app, db):
    data = build(db)
    fatima = data["fatima"]
    old, still_open = sorted(fatima.trajectories, key=lambda t: t.id)
    forgotten = factories.checkin(old, due_on=date(2026, 4, 5), rule_code="aftercare")
    ahead = factories.checkin(still_open, due_on=date(2028, 4, 5))
    db.session.commit()

    run_retention(PAST_LIMIT_UTC)

    db.session.expire_all()
    assert db.session.get(CheckIn, forgotten.id).status == "cancelled"
    assert db.session.get(CheckIn, ahead.id).status == "planned"
