"""Signals to the referrer: with consent, once per stage, stopped at once by a withdrawal."""

from datetime import date

import sqlalchemy as sa

from app.core.timeutil import local_date
from app.notifications.models import Notification
from app.notifications.service import deliver_pending
from app.participants.service import set_consent
from app.portal.service import signal_out_of_view, signal_referrer
from app.referrals.service import log_contact_attempt
from jobs.sweeps import run_jobs

from . import factories


def _referred(db, *, share=True, signals=True):
    location = factories.location("Bibliotheek Oost")
    coordinator = factories.user("coordinator", locations=[location], name="Els Visser",
                                 email="els@taalhuis.example")
    partner = factories.partner("Wijkteam Oost", kind="wijkteam")
    partner.signals_enabled = signals
    contact = factories.partner_contact(partner, name="Sanne de Vries",
                                        email="sanne@wijkteam.example")
    participant = factories.participant(first_name="Fatima", last_name="El Amrani")
    trajectory = factories.trajectory(participant, location_obj=location, owner=coordinator,
                                      referred_on=date(2026, 11, 20))
    trajectory.referral.partner = partner
    trajectory.referral.partner_contact = contact
    factories.consent(participant, "share_with_referrer", share,
                      recorded_at=factories.aware(2026, 11, 20, 9), referral=trajectory.referral)
    db.session.commit()
    return trajectory, coordinator


def _signals(db):
    return db.session.scalars(
        sa.select(Notification).where(Notification.kind == "referrer_signal")
        .order_by(Notification.id)).all()


def test_stage_change_mails_the_contact_person_once_with_the_minimum(db, smtp_server):
    trajectory, coordinator = _referred(db)
    log_contact_attempt(trajectory, reached=True, channel="phone",
                        note="Vertelde over schulden", user=coordinator,
                        now=factories.aware(2026, 11, 23, 10))
    db.session.commit()
    deliver_pending(factories.aware(2026, 11, 23, 10, 5))

    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail["To"] == "sanne@wijkteam.example"
    body = smtp_server.body(mail)
    assert "Fatima E." in body
    assert "contact gehad" in body
    assert "23-11-2026" in body
    assert "Els Visser" in body  # whom to call
    assert "El Amrani" not in body and "schulden" not in body

    # Never twice: the same stage again claims nothing.
    assert signal_referrer(trajectory, factories.aware(2026, 11, 23, 11)) is None
    deliver_pending(factories.aware(2026, 11, 23, 11, 5))
    assert len(smtp_server.messages) == 1


def test_withdrawing_consent_stops_the_queued_signal(db, smtp_server):
    trajectory, coordinator = _referred(db)
    log_contact_attempt(trajectory, reached=True, channel="phone", note=None,
                        user=coordinator, now=factories.aware(2026, 11, 23, 10))
    db.session.commit()
    assert [n.status for n in _signals(db)] == ["pending"]

    set_consent(trajectory.participant, "share_with_referrer", False, "verbal", coordinator,
                factories.aware(2026, 11, 23, 10, 1), referral=trajectory.referral)
    db.session.commit()
    deliver_pending(factories.aware(2026, 11, 23, 10, 5))
    assert smtp_server.messages == []
    assert [n.status for n in _signals(db)] == ["skipped"]

    # And the next stage change is not signalled at all.
    trajectory.status = "active"
    trajectory.started_on = date(2026, 11, 30)
    assert signal_referrer(trajectory, factories.aware(2026, 11, 30, 10)) is None
    assert len(_signals(db)) == 1


def test_without_consent_or_with_signals_off_nothing_is_claimed(db):
    no_consent, coordinator = _referred(db, share=False)
    log_contact_attempt(no_consent, reached=True, channel="phone", note=None,
                        user=coordinator, now=factories.aware(2026, 11, 23, 10))
    db.session.commit()
    assert _signals(db) == []


def test_admin_switching_signals_off_stops_claims_and_queued_mail(db, smtp_server):
    trajectory, coordinator = _referred(db)
    log_contact_attempt(trajectory, reached=True, channel="phone", note=None,
                        user=coordinator, now=factories.aware(2026, 11, 23, 10))
    trajectory.referral.partner.signals_enabled = False
    db.session.commit()
    deliver_pending(factories.aware(2026, 11, 23, 10, 5))
    assert smtp_server.messages == []
    assert signal_referrer(trajectory, factories.aware(2026, 11, 24, 10)) is None


def test_unreachable_person_asks_the_referrer_for_help(db):
    trajectory, coordinator = _referred(db)
    for day in (23, 24, 25):
        log_contact_attempt(trajectory, reached=False, channel="phone", note=None,
                            user=coordinator, now=factories.aware(2026, 11, day, 10))
    db.session.commit()
    (signal,) = _signals(db)
    assert signal.period_key == "niet_bereikt:2026-11-25"
    assert "Wilt u contact opnemen met Fatima E.?" in signal.body


def test_out_of_view_is_signalled_by_the_job_once(db):
    trajectory, _coordinator = _referred(db)
    trajectory.status = "active"
    trajectory.out_of_view_since = factories.aware(2027, 1, 4, 6)
    db.session.commit()
    lines = run_jobs(factories.aware(2027, 1, 4, 6, 15), ("referrer_signals",))
    assert lines == []  # claimed e-mail is reported when delivered
    (signal,) = _signals(db)
    assert signal.period_key == "buiten_beeld:2027-01-04"
    assert "Wilt u contact opnemen" in signal.body
    assert signal_out_of_view(factories.aware(2027, 1, 4, 7, 15)) == []
    assert len(_signals(db)) == 1


def test_self_registrations_never_signal(db):
    trajectory, coordinator = _referred(db)
    trajectory.referral.partner.kind = "zelfmelder"
    db.session.commit()
    log_contact_attempt(trajectory, reached=True, channel="phone", note=None,
                        user=coordinator, now=factories.aware(2026, 11, 23, 10))
    db.session.commit()
    assert _signals(db) == []


def test_each_stage_of_the_journey_is_signalled_once(db):
    from app.intakes.service import save_intake
    from app.matching.service import end_trajectory, enroll

    trajectory, coordinator = _referred(db)
    log_contact_attempt(trajectory, reached=True, channel="phone", note=None,
                        user=coordinator, now=factories.aware(2026, 11, 23, 10))
    save_intake(trajectory, {"held_on": date(2026, 11, 24), "scale": "nt2"},
                [{"subject": "lezen", "context": "geld", "own_words": "Brieven lezen",
                  "target_date": None}], coordinator, factories.aware(2026, 11, 24, 12))
    offer = factories.offer(trajectory.location)
    enroll(trajectory, offer, start_on=date(2026, 12, 1), by=coordinator,
           now=factories.aware(2026, 12, 1, 9))
    end_trajectory(trajectory, outcome="goal_reached", end_reason="doel behaald",
                   goal_results={}, by=coordinator, now=factories.aware(2027, 3, 1, 9))
    db.session.commit()
    assert [n.period_key for n in _signals(db)] == [
        "contact_gehad:2026-11-23", "intake_gedaan:2026-11-24", "gestart:2026-12-01",
        "afgerond:2027-03-01"]


def _back_in_view_by_a_checkin(trajectory, coordinator, now):
    """A check-in done: the person was spoken to, which brings them back in view."""
    from app.checkins.service import complete_checkin

    checkin = factories.checkin(trajectory, due_on=local_date(now), assignee=coordinator)
    complete_checkin(checkin, outcome="going_well", note=None, user=coordinator, now=now)
    assert trajectory.out_of_view_since is None


def test_back_in_view_after_buiten_beeld_is_signalled_again_once(db, smtp_server):
    trajectory, coordinator = _referred(db)
    log_contact_attempt(trajectory, reached=True, channel="phone", note=None,
                        user=coordinator, now=factories.aware(2026, 11, 23, 10))
    db.session.commit()
    trajectory.out_of_view_since = factories.aware(2027, 1, 4, 6)
    db.session.commit()
    run_jobs(factories.aware(2027, 1, 4, 6, 15), ("referrer_signals",))

    # Reached again: the check-in itself tells the partner "contact gehad" once more, dated
    # by the change, without waiting for the trajectory's next event.
    _back_in_view_by_a_checkin(trajectory, coordinator, factories.aware(2027, 1, 11, 10))
    db.session.commit()
    signal = _signals(db)[-1]
    assert signal.period_key == "contact_gehad:2027-01-11"
    assert "contact gehad (11-01-2027)" in signal.body
    deliver_pending(factories.aware(2027, 1, 11, 10, 5))
    assert [m["Subject"] for m in smtp_server.messages] == [
        "Aanmelding Fatima E.: contact gehad", "Aanmelding Fatima E.: buiten beeld",
        "Aanmelding Fatima E.: contact gehad"]

    # Later runs and events tell nothing new: the referrer was last told this stage.
    assert signal_referrer(trajectory, factories.aware(2027, 1, 11, 11)) is None
    assert signal_referrer(trajectory, factories.aware(2027, 1, 12, 9)) is None
    run_jobs(factories.aware(2027, 1, 12, 9, 15), ("referrer_signals",))
    assert len(_signals(db)) == 3

    # A second time out of view and back is a second pair of signals.
    trajectory.out_of_view_since = factories.aware(2027, 3, 1, 6)
    db.session.commit()
    run_jobs(factories.aware(2027, 3, 1, 6, 15), ("referrer_signals",))
    _back_in_view_by_a_checkin(trajectory, coordinator, factories.aware(2027, 3, 8, 10))
    db.session.commit()
    assert [n.period_key for n in _signals(db)] == [
        "contact_gehad:2026-11-23", "buiten_beeld:2027-01-04", "contact_gehad:2027-01-11",
        "buiten_beeld:2027-03-01", "contact_gehad:2027-03-08"]


def test_reached_at_last_after_unreachable_and_buiten_beeld_is_told_as_contact_only(db):
    """No "we cannot reach X" on the very attempt that reached them: the stage is read after
    the attempt has changed the trajectory."""
    trajectory, coordinator = _referred(db)
    for day in (23, 24, 25):
        log_contact_attempt(trajectory, reached=False, channel="phone", note=None,
                            user=coordinator, now=factories.aware(2026, 11, day, 10))
    db.session.commit()
    assert trajectory.status == "unreachable"
    trajectory.out_of_view_since = factories.aware(2027, 1, 6, 6)
    db.session.commit()
    run_jobs(factories.aware(2027, 1, 6, 6, 15), ("referrer_signals",))
    told = [n.period_key for n in _signals(db)]

    log_contact_attempt(trajectory, reached=True, channel="phone", note=None,
                        user=coordinator, now=factories.aware(2027, 1, 8, 10))
    db.session.commit()
    assert trajectory.out_of_view_since is None
    new = [n.period_key for n in _signals(db)][len(told):]
    assert new == ["contact_gehad:2027-01-08"]


def test_signals_keyed_by_bare_stage_before_still_count_as_told(db):
    # Ledger rows from before the dated keys: "contact_gehad" alone. The current stage was
    # told then, so an upgrade sends nothing again.
    trajectory, _coordinator = _referred(db)
    trajectory.status = "contacted"
    trajectory.referral.result_on = date(2026, 11, 23)
    db.session.add(Notification(kind="referrer_signal", subject_key=f"trajectory:{trajectory.id}",
                                recipient_key=f"contact:{trajectory.referral.partner_contact_id}",
                                period_key="contact_gehad", email="sanne@wijkteam.example",
                                subject="Aanmelding Fatima E.: contact gehad", body="...",
                                status="sent", created_at=factories.aware(2026, 11, 23, 10)))
    db.session.commit()
    assert signal_referrer(trajectory, factories.aware(2026, 12, 1, 9)) is None


def test_the_out_of_view_job_loads_only_what_it_may_signal(db, monkeypatch):
    """Flagged trajectories without consent in force, or whose partner takes no signals,
    are left out by the query itself: an hourly run does not reload them every time."""
    from app.portal import service as portal

    def flagged(first_name, *, consents=(True,), partner_kind="wijkteam", signals=True,
                active=True):
        partner = factories.partner(f"Partner van {first_name}", kind=partner_kind)
        partner.signals_enabled, partner.active = signals, active
        factories.partner_contact(partner, email=f"{first_name.lower()}@partner.example")
        person = factories.participant(first_name=first_name, last_name="Jansen")
        trajectory = factories.trajectory(person, status="active",
                                          out_of_view_since=factories.aware(2027, 1, 4, 6))
        # Decisions in order, all at the same moment: the newest row (highest id) counts.
        for given in consents:
            factories.consent(person, "share_with_referrer", given,
                              recorded_at=factories.aware(2026, 11, 20, 9),
                              referral=trajectory.referral)
        trajectory.referral.partner = partner
        trajectory.referral.partner_contact = partner.contacts[0]
        return trajectory

    signalled = [flagged("Amina"), flagged("Bram", consents=(False, True))]
    for name, kwargs in [("Cor", {"consents": ()}), ("Dewi", {"consents": (True, False)}),
                         ("Eva", {"signals": False}), ("Fenna", {"active": False}),
                         ("Gijs", {"partner_kind": "zelfmelder"})]:
        flagged(name, **kwargs)
    db.session.commit()

    loaded = []
    real = portal.signal_referrer

    def spy(trajectory, now):
        loaded.append(trajectory.participant.first_name)
        return real(trajectory, now)

    monkeypatch.setattr(portal, "signal_referrer", spy)
    claimed = portal.signal_out_of_view(factories.aware(2027, 1, 4, 7))
    assert loaded == [t.participant.first_name for t in signalled]
    assert [n.subject_key for n in claimed] == [f"trajectory:{t.id}" for t in signalled]
    # Claimed ones are not loaded again by the next hourly run.
    loaded.clear()
    assert portal.signal_out_of_view(factories.aware(2027, 1, 4, 8)) == []
    assert loaded == []


def _referred_by_name_only(db, *, referrer_email="piet@wijkteam.example", created_by=None):
    """A referral whose contact person is written on it (API, staff form, portal user)
    rather than picked from the partner's known contacts."""
    trajectory, coordinator = _referred(db)
    referral = trajectory.referral
    referral.partner_contact = None
    referral.partner.email = "info@wijkteam.example"
    referral.referrer_name = "Piet Jansen"
    referral.referrer_email = referrer_email
    referral.created_by = created_by
    db.session.commit()
    return trajectory, coordinator


def _first_signal_to(db, trajectory, coordinator) -> str:
    log_contact_attempt(trajectory, reached=True, channel="phone", note=None,
                        user=coordinator, now=factories.aware(2026, 11, 23, 10))
    db.session.commit()
    (signal,) = _signals(db)
    return signal.email


def test_signal_goes_to_the_contact_person_written_on_the_referral(db):
    trajectory, coordinator = _referred_by_name_only(db)
    assert _first_signal_to(db, trajectory, coordinator) == "piet@wijkteam.example"


def test_portal_user_who_left_gets_no_signal_the_organisation_does(db):
    partner_user = factories.user("partner", email="piet@wijkteam.example", active=False)
    trajectory, coordinator = _referred_by_name_only(db, created_by=partner_user)
    assert _first_signal_to(db, trajectory, coordinator) == "info@wijkteam.example"


def test_known_contact_who_left_is_not_replaced_by_the_written_address(db):
    trajectory, coordinator = _referred(db)
    trajectory.referral.partner_contact.active = False
    trajectory.referral.referrer_email = "sanne@wijkteam.example"
    trajectory.referral.partner.email = "info@wijkteam.example"
    db.session.commit()
    assert _first_signal_to(db, trajectory, coordinator) == "info@wijkteam.example"
