"""Issue 11, "any contact, any time": Contact vastleggen, Contactmoment plannen, a session
that did not happen, and the list "Zonder volgende stap"."""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from app.checkins import contacts, nextstep, service
from app.checkins.models import CheckIn
from app.checkins.timeline import checkin_due
from app.matching.models import MatchSession
from app.notifications.models import Notification
from app.notifications.service import sections_for
from app.participants.timeline import timeline
from app.referrals.models import ContactAttempt

from . import factories
from .factories import aware

# Wednesday 25 November 2026, noon in Amsterdam.
NOW = aware(2026, 11, 25, 11, 0)
TODAY = date(2026, 11, 25)


def active_trajectory(location, *, first_name="Fatima", owner=None, **kwargs):
    person = factories.participant(first_name=first_name, last_name="Jansen")
    kwargs.setdefault("last_contact_at", aware(2026, 9, 1, 10, 0))
    return factories.trajectory(person, location_obj=location, status="active", owner=owner,
                                **kwargs)


def _titles(trajectory, viewer):
    """The participant page's timeline lines (some carry links: a request context)."""
    with current_app.test_request_context():
        return [item.title for item in timeline([trajectory], viewer)]


# --- Contact vastleggen ------------------------------------------------------------------------

def test_a_phone_call_on_an_active_trajectory_clears_buiten_beeld(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    t = active_trajectory(me.locations[0], owner=me, out_of_view_since=aware(2026, 11, 20, 6, 0))
    db.session.commit()

    page = client.get(f"/deelnemers/{t.participant_id}").get_data(as_text=True)
    assert f'href="/traject/{t.id}/contact"' in page and "Contact vastleggen" in page
    form = client.get(f"/traject/{t.id}/contact").get_data(as_text=True)
    assert "Via de vrijwilliger" in form and "Hoe was het contact?" in form

    response = client.post(f"/traject/{t.id}/contact", data={
        "on": TODAY.isoformat(), "channel": "phone", "reached": "yes",
        "note": "Belde zelf, gaat goed met de lessen", "form_key": "k" * 24})
    assert response.status_code == 302
    db.session.expire_all()
    assert t.out_of_view_since is None and t.last_contact_at == NOW
    assert "Gebeld: bereikt" in _titles(t, me)
    # Off the list too.
    assert "Niemand is buiten beeld" in client.get("/buiten-beeld").get_data(as_text=True)

    # The same form sent again saves nothing twice.
    again = client.post(f"/traject/{t.id}/contact", data={
        "on": TODAY.isoformat(), "channel": "phone", "reached": "yes", "form_key": "k" * 24},
        follow_redirects=True)
    assert "al opgeslagen" in again.get_data(as_text=True)
    assert factories.count(ContactAttempt) == 1


def test_a_contact_on_a_day_before_buiten_beeld_does_not_clear_it(client, auth, db, frozen):
    me = auth.as_role("staff")
    t = active_trajectory(me.locations[0], out_of_view_since=aware(2026, 11, 23, 6, 0))
    db.session.commit()

    client.post(f"/traject/{t.id}/contact", data={
        "on": "2026-11-20", "channel": "in_person", "reached": "yes"})
    db.session.expire_all()
    # It is the last contact (newer than September), but from before the person went out
    # of view: nobody has reached them since.
    assert t.last_contact_at == aware(2026, 11, 20, 11, 0)
    assert t.out_of_view_since == aware(2026, 11, 23, 6, 0)


def test_a_contact_in_the_future_is_refused_at_the_field(client, auth, db, frozen):
    me = auth.as_role("staff")
    t = active_trajectory(me.locations[0])
    db.session.commit()
    html = client.post(f"/traject/{t.id}/contact", data={
        "on": "2026-11-26", "channel": "phone", "reached": "yes", "note": "bewaard"}
    ).get_data(as_text=True)
    assert "Deze datum ligt in de toekomst" in html and "bewaard" in html
    assert factories.count(ContactAttempt) == 0


def test_not_reached_twice_puts_the_trajectory_out_of_view(client, auth, db, frozen):
    me = auth.as_role("staff")
    t = active_trajectory(me.locations[0], last_contact_at=aware(2026, 11, 1, 10, 0))
    db.session.commit()
    for _ in range(2):
        client.post(f"/traject/{t.id}/contact", data={
            "on": TODAY.isoformat(), "channel": "phone", "reached": "no"})
        db.session.expire_all()
        assert t.last_contact_at == aware(2026, 11, 1, 10, 0)
    assert "Gebeld: niet bereikt" in _titles(t, me)

    assert [x.id for x in service.scan_out_of_view(NOW + timedelta(hours=1))] == [t.id]


def test_not_reached_in_the_first_contact_step_keeps_its_own_count(app, db):
    # The referral's three attempts decide there; two misses do not make it "buiten beeld".
    staff = factories.user("staff")
    t = factories.trajectory(location_obj=staff.locations[0], referred_on=TODAY)
    for hour in (9, 10):
        contacts.log_contact(t, channel="phone", reached=False, note=None, user=staff,
                             now=aware(2026, 11, 25, hour, 0))
    db.session.commit()
    assert [a.first_contact for a in t.contact_attempts] == [True, True]
    assert service.scan_out_of_view(aware(2026, 11, 25, 12, 0)) == []


# --- Contactmoment plannen ---------------------------------------------------------------------

def test_a_check_in_planned_by_hand_is_a_task_and_in_the_digest(client, auth, db, frozen):
    me = auth.as_role("staff")
    loc = me.locations[0]
    colleague = factories.user("coordinator", locations=[loc], name="Carla de Vries")
    t = active_trajectory(loc, owner=colleague)
    db.session.commit()

    form = client.get(f"/traject/{t.id}/contactmoment").get_data(as_text=True)
    assert "Carla de Vries" in form
    response = client.post(f"/traject/{t.id}/contactmoment", data={
        "due_on": "2026-11-27", "assignee": str(colleague.id),
        "topic": "Terugbellen over de taaltoets", "form_key": "p" * 24})
    assert response.status_code == 302
    client.post(f"/traject/{t.id}/contactmoment", data={
        "due_on": "2026-11-27", "assignee": str(colleague.id),
        "topic": "Terugbellen over de taaltoets", "form_key": "p" * 24})
    [checkin] = db.session.scalars(sa.select(CheckIn)).all()
    assert (checkin.kind, checkin.due_on, checkin.assignee_id, checkin.created_by_id) == (
        "manual", date(2026, 11, 27), colleague.id, me.id)
    assert any("Terugbellen over de taaltoets" in item.title
               for item in checkin_due([t], me) if item.trajectory_id == t.id)

    # On Friday it is on Carla's list and in her digest; she does it in two taps.
    auth.logout()
    frozen.move_to(aware(2026, 11, 27, 6, 0))
    auth.login(colleague)
    tasks = client.get("/taken").get_data(as_text=True)
    assert "Terugbellen over de taaltoets" in tasks and "Vandaag" in tasks
    digest = {s.title: s.items for s in sections_for(colleague, aware(2026, 11, 27, 6, 0))}
    assert any("Terugbellen over de taaltoets (vandaag)" in text
               for text, _link in digest["Contactmomenten: te laat en vandaag"])
    client.post(f"/taken/{checkin.id}/afronden", data={"outcome": "going_well"})
    db.session.expire_all()
    assert checkin.status == "done" and t.last_contact_at == aware(2026, 11, 27, 6, 0)
    assert factories.count(CheckIn, CheckIn.status == "planned") == 0  # no repeat


def test_a_check_in_in_the_past_is_refused_at_the_field(client, auth, db, frozen):
    me = auth.as_role("staff")
    t = active_trajectory(me.locations[0])
    db.session.commit()
    html = client.post(f"/traject/{t.id}/contactmoment", data={
        "due_on": "2026-11-24", "assignee": str(me.id), "topic": "Even bellen"}
    ).get_data(as_text=True)
    assert 'id="due_on-error"' in html and "Deze datum is al voorbij" in html
    assert 'value="Even bellen"' in html
    assert factories.count(CheckIn) == 0


def test_a_check_in_for_the_volunteer_of_the_active_match(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    loc = me.locations[0]
    volunteer, volunteer_user = factories.volunteer_with_account("Anneke", locations=[loc])
    stranger = factories.user("staff")  # another location
    t = active_trajectory(loc, owner=me)
    match = factories.match(t, volunteer)
    db.session.commit()

    form = client.get(f"/traject/{t.id}/contactmoment").get_data(as_text=True)
    assert "(vrijwilliger van de koppeling)" in form and stranger.name not in form
    html = client.post(f"/traject/{t.id}/contactmoment", data={
        "due_on": "2026-11-30", "assignee": str(stranger.id), "topic": "x"}
    ).get_data(as_text=True)
    assert "Kies iemand uit de lijst." in html and factories.count(CheckIn) == 0
    client.post(f"/traject/{t.id}/contactmoment", data={
        "due_on": "2026-11-30", "assignee": str(volunteer_user.id), "topic": "Vraag naar het werk"})
    [checkin] = db.session.scalars(sa.select(CheckIn)).all()
    assert checkin.match_id == match.id and checkin.assignee_id == volunteer_user.id

    auth.logout()
    frozen.move_to(aware(2026, 11, 30, 8, 0))
    auth.login(volunteer_user)
    assert "Vraag naar het werk" in client.get("/taken").get_data(as_text=True)


# --- Permissions -------------------------------------------------------------------------------

def test_partners_volunteers_and_other_locations_cannot_log_or_plan(client, auth, db, frozen):
    loc = factories.location()
    t = active_trajectory(loc)
    volunteer, volunteer_user = factories.volunteer_with_account("Anneke", locations=[loc])
    factories.match(t, volunteer)
    other_location_staff = factories.user("staff")
    partner_user = factories.user("partner")
    db.session.commit()
    for user in (volunteer_user, other_location_staff, partner_user):
        auth.login(user)
        for path in (f"/traject/{t.id}/contact", f"/traject/{t.id}/contactmoment"):
            assert client.get(path).status_code in (403, 404)
            assert client.post(path, data={"channel": "phone", "reached": "yes",
                                           "on": TODAY.isoformat()}).status_code in (403, 404)
        assert client.get("/zonder-volgende-stap").status_code == 403
        auth.logout()
    assert factories.count(ContactAttempt) == 0 and factories.count(CheckIn) == 0


def test_an_ended_trajectory_takes_no_contact(client, auth, db, frozen):
    me = auth.as_role("staff")
    t = factories.trajectory(location_obj=me.locations[0], status="ended",
                             ended_on=date(2026, 11, 1))
    db.session.commit()
    assert client.get(f"/traject/{t.id}/contact").status_code == 404


# --- A session that did not happen ------------------------------------------------------------

def _volunteer_world(db):
    coordinator = factories.user("coordinator", name="Carla Coördinator")
    loc = coordinator.locations[0]
    volunteer, volunteer_user = factories.volunteer_with_account("Anneke", locations=[loc])
    t = active_trajectory(loc, owner=coordinator, last_contact_at=aware(2026, 10, 12, 12, 0))
    match = factories.match(t, volunteer, started_on=date(2026, 10, 1))
    factories.match_session(match, held_on=date(2026, 10, 12))
    db.session.commit()
    return coordinator, volunteer_user, match


def _not_held(client, match, day, reason, key=None):
    data = {"held_on": day, "reason": reason}
    if key:
        data["form_key"] = key
    return client.post(f"/mijn/koppelingen/{match.id}/ging-niet-door", data=data)


def test_a_session_that_did_not_happen_keeps_the_reminder_quiet(client, auth, db, frozen):
    from jobs.volunteer_silence import job

    coordinator, volunteer_user, match = _volunteer_world(db)
    auth.login(volunteer_user)
    mine = client.get("/mijn/deelnemers").get_data(as_text=True)
    assert f'href="/mijn/koppelingen/{match.id}/ging-niet-door"' in mine
    assert _not_held(client, match, "2026-11-24", "cancelled_by_participant",
                     key="n" * 24).status_code == 302
    _not_held(client, match, "2026-11-24", "cancelled_by_participant", key="n" * 24)
    assert factories.count(MatchSession, MatchSession.not_held_reason.is_not(None)) == 1

    db.session.expire_all()
    # Not a contact with the participant, and no session in the reports.
    assert match.trajectory.last_contact_at == aware(2026, 10, 12, 12, 0)
    assert match.last_session_on == date(2026, 10, 12)
    assert "Bijeenkomst ging niet door: afgezegd door de deelnemer" in _titles(
        match.trajectory, coordinator)
    page = client.get(f"/mijn/koppelingen/{match.id}").get_data(as_text=True)
    assert "Ging niet door" in page and "Afgezegd door de deelnemer" in page

    # 30 days after the last session, but the volunteer reported yesterday: no reminder.
    monday = aware(2026, 11, 30, 6, 30)
    assert [n.kind for n in job(monday)] == ["volunteer_silent_42"]  # the coordinator's
    # 21 days after the report, the volunteer hears from us again.
    later = job(aware(2026, 12, 15, 6, 30))
    assert [(n.kind, n.period_key) for n in later] == [("volunteer_silent_21",
                                                        "since:2026-11-24")]


def test_two_no_shows_in_a_row_are_a_concern_for_the_coordinator(client, auth, db, frozen):
    coordinator, volunteer_user, match = _volunteer_world(db)
    auth.login(volunteer_user)
    _not_held(client, match, "2026-11-10", "no_show")
    _not_held(client, match, "2026-11-17", "cancelled_by_volunteer")
    _not_held(client, match, "2026-11-24", "no_show")
    # A cancellation in between: not two in a row yet.
    assert factories.count(MatchSession, MatchSession.concern.is_(True)) == 0
    response = _not_held(client, match, "2026-11-25", "no_show")
    assert response.status_code == 302
    [concern] = db.session.scalars(sa.select(MatchSession)
                                   .where(MatchSession.concern.is_(True))).all()
    assert concern.held_on == TODAY
    [signal] = db.session.scalars(sa.select(Notification)
                                  .where(Notification.kind == "session_concern")).all()
    assert signal.user_id == coordinator.id
    assert "twee keer achter elkaar niet gekomen" in signal.body

    auth.logout()
    auth.login(coordinator)
    html = client.get("/zorgen").get_data(as_text=True)
    assert "Fatima Jansen" in html and "Twee keer achter elkaar niet gekomen." in html
    digest = {s.title: s.items for s in sections_for(coordinator, aware(2026, 11, 26, 6, 0))}
    assert digest["Zorgen van vrijwilligers"][0][0] == (
        "Fatima J.: twee keer achter elkaar niet gekomen, meldt Anneke (25 november)")


def test_a_volunteer_reports_only_on_own_matches(client, auth, db, frozen):
    _coordinator, _volunteer_user, match = _volunteer_world(db)
    other, other_user = factories.volunteer_with_account("Bert")
    db.session.commit()
    auth.login(other_user)
    assert client.get(f"/mijn/koppelingen/{match.id}/ging-niet-door").status_code == 404
    assert _not_held(client, match, "2026-11-24", "no_show").status_code == 404
    auth.logout()
    auth.as_role("partner")
    assert _not_held(client, match, "2026-11-24", "no_show").status_code == 404
    assert factories.count(MatchSession) == 1


def test_a_report_for_a_day_ahead_is_refused(client, auth, db, frozen):
    _coordinator, volunteer_user, match = _volunteer_world(db)
    auth.login(volunteer_user)
    html = _not_held(client, match, "2026-11-26", "no_show").get_data(as_text=True)
    assert "De datum ligt in de toekomst" in html
    assert factories.count(MatchSession) == 1


# --- Zonder volgende stap ----------------------------------------------------------------------

def _no_step_world(loc, n: int, owner):
    """`n` trajectories without a next step, and one of each kind that has one."""
    for i in range(n):
        active_trajectory(loc, first_name=f"Zonder{i}", owner=owner)
    planned = active_trajectory(loc, first_name="MetContactmoment", owner=owner)
    factories.checkin(planned, due_on=TODAY - timedelta(days=3), assignee=owner)
    volunteer = factories.volunteer(locations=[loc], capacity=50)
    factories.match(active_trajectory(loc, first_name="MetKoppeling", owner=owner), volunteer)
    grouped = active_trajectory(loc, first_name="MetGroep", owner=owner)
    from app.groups.models import GroupMeeting
    from app.matching.models import Enrollment

    group = factories.offer(loc)
    factories.db.session.add_all([
        Enrollment(trajectory=grouped, offer=group, started_on=date(2026, 11, 2)),
        GroupMeeting(offer=group, held_on=date(2026, 11, 30))])
    # A place in a group whose last meeting was before today is no step ahead.
    ended_group = factories.offer(loc, name="Taalcafé voorbij")
    factories.db.session.add_all([
        Enrollment(trajectory=active_trajectory(loc, first_name="GroepVoorbij", owner=owner),
                   offer=ended_group, started_on=date(2026, 9, 1)),
        GroupMeeting(offer=ended_group, held_on=date(2026, 11, 20))])
    from app.appointments.models import Appointment

    with_intake = factories.trajectory(factories.participant(first_name="MetIntake"),
                                       location_obj=loc, status="intake_planned",
                                       intake_planned_at=aware(2026, 11, 26, 9, 0))
    factories.db.session.add(Appointment(trajectory=with_intake, location=loc, with_user=owner,
                                         starts_at=aware(2026, 11, 26, 9, 0)))
    # Marked "intake gepland" but without an appointment (nobody holds it): listed.
    factories.trajectory(factories.participant(first_name="IntakeVoorbij"), location_obj=loc,
                         status="intake_planned", intake_planned_at=aware(2026, 11, 24, 9, 0))
    factories.trajectory(factories.participant(first_name="Afgesloten"), location_obj=loc,
                         status="ended", ended_on=date(2026, 11, 1))


def test_the_list_shows_open_trajectories_with_nothing_ahead(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    loc = me.locations[0]
    _no_step_world(loc, 2, me)
    elsewhere = factories.location()
    active_trajectory(elsewhere, first_name="AndereLocatie")
    db.session.commit()

    assert 'href="/zonder-volgende-stap"' in client.get("/taken").get_data(as_text=True)
    html = client.get("/zonder-volgende-stap").get_data(as_text=True)
    for name in ("Zonder0", "Zonder1", "IntakeVoorbij", "GroepVoorbij"):
        assert name in html
    for name in ("MetContactmoment", "MetKoppeling", "MetGroep", "MetIntake", "Afgesloten",
                 "AndereLocatie"):
        assert name not in html
    assert "Nog geen contactmoment" in html

    digest = {s.title: s.items for s in sections_for(me, NOW)}
    names = sorted(text.split(":")[0] for text, _link in digest["Zonder volgende stap"])
    assert names == ["GroepVoorbij J.", "IntakeVoorbij E.", "Zonder0 J.", "Zonder1 J."]

    # Planning a check-in by hand gives a person a next step.
    zonder0 = db.session.scalars(nextstep.without_next_step_query(NOW, [loc.id])).first()
    client.post(f"/traject/{zonder0.id}/contactmoment", data={
        "due_on": "2026-12-01", "assignee": str(me.id), "topic": "Hoe gaat het?"})
    assert zonder0.participant.first_name not in client.get(
        "/zonder-volgende-stap").get_data(as_text=True)


def test_list_and_digest_cost_the_same_queries_at_two_sizes(client, auth, db, frozen,
                                                             count_queries):
    me = auth.as_role("coordinator")
    loc = me.locations[0]

    def queries():
        with count_queries() as statements:
            assert client.get("/zonder-volgende-stap").status_code == 200
        with count_queries() as digest_statements:
            nextstep.without_next_step_section(me, NOW)
        return len(statements), len(digest_statements)

    _no_step_world(loc, 3, me)
    db.session.commit()
    few = queries()
    _no_step_world(loc, 40, me)  # more than a page and more than the digest names
    db.session.commit()
    many = queries()
    assert many == few
    section = nextstep.without_next_step_section(me, NOW)
    assert section.items[-1][0] == f"En nog {(3 + 2) + (40 + 2) - nextstep.DIGEST_LIMIT} meer"


def test_the_demo_shows_each_part_and_explains_every_entry_without_a_next_step(db, demo_data):
    # The demo's moment (DEMO_NOW, 09:00 in Amsterdam).
    demo_now = aware(2026, 11, 20, 8, 0)
    rows = db.session.scalars(nextstep.without_next_step_query(demo_now)).unique().all()
    # Only people who need a decision the list names ("Intake plannen", "Nog eens proberen
    # of afsluiten"), each with the step that happened last.
    assert rows and {t.status for t in rows} <= {"contacted", "unreachable"}
    last = nextstep.last_steps(rows)
    assert all(t.id in last for t in rows)

    assert factories.count(ContactAttempt, ContactAttempt.first_contact.is_(False)) == 3
    assert factories.count(CheckIn, CheckIn.kind == "manual") == 2
    assert factories.count(MatchSession, MatchSession.not_held_reason == "no_show",
                           MatchSession.concern.is_(True)) == 1


def test_the_number_of_no_shows_is_a_setting(client, auth, db, frozen):
    from app.checkins.models import FollowUpSetting

    _coordinator, volunteer_user, match = _volunteer_world(db)
    db.session.add(FollowUpSetting(key="session_no_shows_in_a_row", value=3))
    db.session.commit()
    auth.login(volunteer_user)
    for day in ("2026-11-18", "2026-11-24"):
        _not_held(client, match, day, "no_show")
    assert factories.count(MatchSession, MatchSession.concern.is_(True)) == 0
    _not_held(client, match, "2026-11-25", "no_show")
    assert factories.count(MatchSession, MatchSession.concern.is_(True)) == 1


def test_a_coordinator_of_two_locations_looks_at_one_at_a_time(client, auth, db, frozen):
    me = auth.as_role("coordinator")
    west = factories.location("Bibliotheek West")
    me.locations.append(west)
    active_trajectory(me.locations[0], first_name="Oost")
    active_trajectory(west, first_name="West")
    elsewhere = factories.location("Elders")
    active_trajectory(elsewhere, first_name="Elders")
    db.session.commit()

    both = client.get("/zonder-volgende-stap").get_data(as_text=True)
    assert "Oost Jansen" in both and "West Jansen" in both and "Elders Jansen" not in both
    assert "Kies een locatie" in both
    one = client.get(f"/zonder-volgende-stap?location={west.id}").get_data(as_text=True)
    assert "West Jansen" in one and "Oost Jansen" not in one
    # Another location's id is no way in: the whole own list instead.
    other = client.get(f"/zonder-volgende-stap?location={elsewhere.id}").get_data(as_text=True)
    assert "Elders Jansen" not in other and "Oost Jansen" in other
