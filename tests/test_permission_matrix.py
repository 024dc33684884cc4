"""Every route of the app, for every role, against records that belong to someone else.

The world: the signed-in users work at location A (the volunteer through their own match,
the partner through their own referral); everything the routes are fed lives at location B,
or belongs to another volunteer, partner or user. Rules checked:

- signed out: every non-public route sends the visitor to the sign-in page;
- coordinator, staff, volunteer, partner: a route about one record that is not theirs
  answers 404, never 403 or 200, so ids leak nothing (by URL, GET and POST);
- every role: no page without ids shows the other person's name, and nothing crashes (500);
- edited hidden fields (a goal, an offer, an account of someone else) answer 404 too.

A new route with a path argument this file does not know fails the matrix on purpose:
add a record for it in `foreign_world` and `ARGUMENTS`.
"""

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine

from app.auth.session import PUBLIC_ENDPOINTS
from app.extensions import db as db_

from . import factories

# After the session a test posts (held on 2026-11-20): that date is not in the future.
NOW = factories.aware(2026, 11, 23, 10, 0)

SECRET_NAME = "Geheimnaam"
SECRET_PHONE = "06 19887766"
# As stored and as dialled: a leak may show either.
SECRET_PHONES = (SECRET_PHONE.encode(), b"+31619887766", b"0619887766")
ROLES = ("admin", "coordinator", "staff", "volunteer", "partner")
# Records that are the same for the whole organisation: staff may see any partner, and
# self-registrations wait in one queue until someone picks a location for them.
SHARED_ARGUMENTS = {"partner_id", "contact_id", "registration_id"}
# Signing out (also "overal afmelden") would leave the rest of the walk signed out; both are
# tested on their own (tests/test_sessions_*.py).
SKIPPED_ENDPOINTS = {"static", "auth.logout", "auth.end_my_sessions"}


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        path_args = set(rule.arguments) - set(rule.defaults or {})
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            yield rule, method, path_args


def foreign_world(db):
    """Records at location B and of other people, with one of every kind a route can name."""
    from app.checkins.models import FollowUpRule
    from app.notifications.models import Notification
    from app.volunteers.models import VolunteerTraining

    here = factories.location("Bibliotheek Hier")
    there = factories.location("Bibliotheek Daar")
    other_partner = factories.partner("Andere Partner")
    contact = factories.partner_contact(other_partner, name="Contact Daar",
                                        email="daar@example.org")
    participant = factories.participant(first_name=SECRET_NAME, last_name="Verborgen",
                                        phone=SECRET_PHONE)
    trajectory = factories.trajectory(participant, location_obj=there, status="active",
                                      started_on=date(2026, 11, 1))
    trajectory.referral.partner = other_partner
    factories.intake(trajectory, availability=["tue-morning"])
    goal = factories.learning_goal(trajectory)
    factories.consent(participant)
    other_user = factories.user("coordinator", locations=[there], name="Collega Daar")
    checkin = factories.checkin(trajectory, due_on=date(2026, 11, 30), assignee=other_user,
                                rule_code=None, kind="waiting")
    volunteer, volunteer_user = factories.volunteer_with_account("Vreemde", locations=[there])
    match = factories.match(trajectory, volunteer)
    session = factories.match_session(match, concern=True, created_by=volunteer_user)
    training = VolunteerTraining(volunteer=volunteer, name="Basistraining")
    db.session.add(training)
    offer = factories.offer(there)
    from app.matching.models import Enrollment

    enrollment = Enrollment(trajectory=trajectory, offer=offer, status="active",
                            started_on=date(2026, 11, 2))
    db.session.add(enrollment)
    from app.groups.models import Attendance, GroupMeeting

    meeting = GroupMeeting(offer=offer, held_on=date(2026, 11, 17))
    db.session.add(meeting)
    db.session.flush()
    db.session.add(Attendance(meeting_id=meeting.id, enrollment_id=enrollment.id,
                              status="present"))
    note = Notification(kind="test", subject_key="x", recipient_key=f"user:{other_user.id}",
                        period_key="1", user_id=other_user.id, channel="app",
                        subject=f"Over {SECRET_NAME}", body=SECRET_NAME, status="sent")
    letter = Notification(kind="msg_free", subject_key="free:x", recipient_key="p",
                          period_key="free", channel="letter", participant_id=participant.id,
                          trajectory_id=trajectory.id, subject="Brief", body=SECRET_NAME)
    db.session.add_all([note, letter])
    db.session.flush()
    rule = db.session.scalar(sa.select(FollowUpRule).limit(1))
    from app.admin.models import ReferenceItem

    item = db.session.scalar(sa.select(ReferenceItem).where(
        ReferenceItem.list_name == "goal_subject").limit(1))
    from app.api.models import ApiToken
    from app.selfreg.models import SelfRegistration

    registration = SelfRegistration(first_name="Zelfmelder", phone="06-55554444",
                                    status="pending")
    token = ApiToken(partner=other_partner, name="Systeem daar", token_hash="0" * 64,
                     prefix="hv_0000")
    from app.appointments.models import Appointment

    appointment = Appointment(trajectory=trajectory, kind="intake", location=there,
                              starts_at=factories.aware(2026, 11, 20, 9, 0),
                              with_user_id=other_user.id, planned_by_id=other_user.id,
                              status="planned")
    from app.messaging.models import InboundMessage, MessageStop

    stop = MessageStop(participant_id=participant.id, channel="sms", phone="+31612340000",
                       stopped_at=factories.aware(2026, 11, 20, 9, 0))
    answer = InboundMessage(provider="outbox", provider_message_id="daar-1", channel="sms",
                            from_phone="+31612340000", body="Wie is dit?",
                            participant_id=participant.id, trajectory_id=trajectory.id,
                            meaning="other")
    db.session.add_all([registration, token, appointment, stop, answer])
    db.session.flush()
    from app.privacy.models import ErasureRequest

    erasure = ErasureRequest(participant_id=participant.id, requested_by_id=other_user.id)
    db.session.add(erasure)
    db.session.flush()
    return here, {
        "appointment_id": appointment.id,
        "participant_id": participant.id, "trajectory_id": trajectory.id, "goal_id": goal.id,
        "checkin_id": checkin.id, "user_id": other_user.id, "location_id": there.id,
        "partner_id": other_partner.id, "contact_id": contact.id,
        "notification_id": note.id, "match_id": match.id, "session_id": session.id,
        "volunteer_id": volunteer.id, "training_id": training.id, "offer_id": offer.id,
        "enrollment_id": enrollment.id, "rule_id": rule.id if rule else 1,
        "list_name": "goal_subject", "item_id": item.id, "token": "ongeldig",
        "referral_id": trajectory.referral.id, "registration_id": registration.id,
        "token_id": token.id, "meeting_id": meeting.id, "stop_id": stop.id,
        "inbound_id": answer.id, "note_id": letter.id, "code": "intake_reminder",
        "erasure_id": erasure.id,
    }


ARGUMENTS = {
    "participant_id", "trajectory_id", "goal_id", "checkin_id", "user_id", "location_id",
    "partner_id", "contact_id", "notification_id", "match_id", "session_id", "volunteer_id",
    "training_id", "offer_id", "enrollment_id", "rule_id", "list_name", "item_id", "token",
    "referral_id", "registration_id", "token_id", "meeting_id", "appointment_id",
    "stop_id", "inbound_id", "note_id", "code", "erasure_id",
}


def _public(app, rule) -> bool:
    return rule.endpoint in PUBLIC_ENDPOINTS or getattr(
        app.view_functions[rule.endpoint], "_public", False)


def _expects_404(role: str, args: set[str]) -> bool:
    """A route about a record that is not theirs: 404 for everyone but the admin. Staff and
    coordinators may see the records the whole organisation shares."""
    if role == "admin" or not args:
        return False
    if role in ("volunteer", "partner"):
        return True
    return not args <= SHARED_ARGUMENTS


def own_world(role: str, here):
    """The signed-in user, with their own records at location A."""
    if role == "volunteer":
        volunteer, user = factories.volunteer_with_account("Eigen", locations=[here])
        mine = factories.waiting_trajectory(here, first_name="Mijndeelnemer")
        mine.status = "active"
        factories.match(mine, volunteer)
        return user
    if role == "partner":
        user = factories.user("partner")
        own = factories.trajectory(factories.participant(first_name="Eigenverwezen"),
                                   location_obj=here)
        own.referral.partner = user.partner
        return user
    if role == "admin":
        return factories.user("admin")
    return factories.user(role, locations=[here])


def test_every_path_argument_has_a_foreign_record(app):
    unknown = {arg for _rule, _method, args in _rules(app) for arg in args} - ARGUMENTS
    unknown.discard("filename")
    assert not unknown, f"add a foreign record for route arguments {sorted(unknown)}"


def test_signed_out_visitors_are_sent_to_sign_in_everywhere(app, client, db):
    _here, values = foreign_world(db)
    db.session.commit()
    for rule, method, args in _rules(app):
        if _public(app, rule):
            continue
        url = rule.build({a: values[a] for a in args}, append_unknown=False)[1]
        response = client.open(url, method=method)
        assert response.status_code == 302, f"{method} {url}: {response.status_code}"
        assert response.headers["Location"].startswith("/inloggen"), f"{method} {url}"


# Public because they come between the password and the session (issue 19): without a
# password checked a moment ago they only send the visitor back to sign in.
BETWEEN_PASSWORD_AND_SESSION = ("auth.twofactor_code", "auth.twofactor_forced_setup")


def test_the_two_factor_steps_need_a_password_first(app, client, db):
    for endpoint in BETWEEN_PASSWORD_AND_SESSION:
        (rule,) = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
        assert _public(app, rule), endpoint
        for method in ("GET", "POST"):
            response = client.open(rule.rule, method=method, data={"code": "123456"})
            assert response.status_code == 302, (endpoint, method)
            assert response.headers["Location"] == "/inloggen", (endpoint, method)


# Pages for everyone, signed in or not, whatever the role: the matrix above skips public
# routes for the signed-out visitor; these must also really answer, to all.
PUBLIC_FOR_EVERYONE = ("privacy.about",)


@pytest.mark.parametrize("role", (None, *ROLES))
def test_public_pages_open_for_everyone(app, client, auth, db, role):
    if role:
        auth.as_role(role)
    for endpoint in PUBLIC_FOR_EVERYONE:
        (rule,) = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
        assert _public(app, rule), endpoint
        assert client.get(rule.rule).status_code == 200, f"{endpoint} as {role or 'anonymous'}"


@pytest.mark.parametrize("role", ROLES)
def test_matrix(app, client, auth, db, role):
    here, values = foreign_world(db)
    user = own_world(role, here)
    db.session.commit()
    assert auth.login(user).status_code == 302
    problems = []
    for rule, method, args in _rules(app):
        public = _public(app, rule)
        if rule.endpoint in ("auth.login", "main.healthz"):
            continue
        url = rule.build({a: values[a] for a in args}, append_unknown=False)[1]
        try:
            response = client.open(url, method=method, data={})
        except Exception as error:  # noqa: BLE001  (TESTING re-raises what would be a 500)
            db.session.rollback()
            problems.append(f"{method} {url} ({rule.endpoint}) as {role} crashed: {error!r}")
            continue
        status = response.status_code
        where = f"{method} {url} ({rule.endpoint}) as {role}: {status}"
        if status >= 500:
            problems.append(f"{where} crashed")
            continue
        if not public and _expects_404(role, args - {"token"}):
            if status != 404:
                problems.append(f"{where}, expected 404 for a record that is not theirs")
            continue
        if role != "admin" and status == 200:
            body = response.get_data()  # bytes: exports may be zip files or spreadsheets
            if SECRET_NAME.encode() in body or any(p in body for p in SECRET_PHONES):
                problems.append(f"{where} shows the participant of location B")
    assert not problems, "\n".join(problems)


# --- Forged ids in forms ----------------------------------------------------------------------
# An edited hidden field answers 404 and stores nothing. Ownership comes before validation: a
# forged id in a form that is wrong in other ways too answers 404, not a form error, so whether
# the user may touch the record is decided before anything about the input is said.

TOMORROW = "2026-11-24"


def _own_match(user):
    from app.matching.models import Match

    return db_.session.scalar(sa.select(Match).where(Match.volunteer.has(user_id=user.id)))


def _session_post(here, values, user):
    # Tomorrow is "in the future", and nothing was practised: two errors, and a foreign goal.
    return f"/mijn/koppelingen/{_own_match(user).id}/bijeenkomst", {
        "held_on": TOMORROW, "minutes": "60", "practised": "",
        "goals-0-goal_id": values["goal_id"], "goals-0-progress": "good"}


def _session_correction(here, values, user):
    session = factories.match_session(_own_match(user), created_by=user)
    return f"/mijn/bijeenkomsten/{session.id}", {
        "held_on": TOMORROW, "minutes": "60", "practised": "Anders",
        "goals-0-goal_id": values["goal_id"], "goals-0-progress": "good"}


def _intake(here, values, user):
    # No date, no levels: wrong in every way, but the goal row names someone else's goal.
    mine = factories.trajectory(factories.participant(first_name="Eigen"), location_obj=here)
    return f"/intake/{mine.id}", {"goals-0-goal_id": values["goal_id"],
                                  "goals-0-own_words": "Overschreven"}


def _ending(here, values, user):
    mine = factories.waiting_trajectory(here)
    return f"/trajecten/{mine.id}/afsluiten", {"goals-0-goal_id": values["goal_id"],
                                               "goals-0-result": "achieved"}


def _enrolment(here, values, user):
    mine = factories.waiting_trajectory(here)
    return f"/trajecten/{mine.id}/inschrijven", {"offer_id": values["offer_id"], "start_on": ""}


def _referral_attach(here, values, user):
    return "/aanmeldingen/nieuw", {"decision": f"attach:{values['participant_id']}"}


def _referral_attach_garbage(here, values, user):
    return "/aanmeldingen/nieuw", {"decision": "attach:abc"}


def _referral_location(here, values, user):
    return "/aanmeldingen/nieuw", {"location_id": values["location_id"], "first_name": ""}


def _known_person(here, values, user):
    mine = factories.trajectory(factories.participant(first_name=SECRET_NAME), location_obj=here)
    return f"/aanmeldingen/{mine.id}/bekend", {"participant_id": values["participant_id"]}


def _owner(here, values, user):
    mine = factories.trajectory(factories.participant(), location_obj=here)
    return f"/deelnemers/traject/{mine.id}/eigenaar", {"owner_id": values["user_id"]}


def _selfreg_location(here, values, user):
    return f"/zelfmeldingen/{values['registration_id']}/", {
        "accept-location_id": values["location_id"], "accept-accept": "Aannemen"}


def _selfreg_attach(here, values, user):
    return f"/zelfmeldingen/{values['registration_id']}/", {
        "accept-location_id": "", "accept-decision": f"attach:{values['participant_id']}"}


FORGED = {
    "session: another match's goal": ("volunteer", _session_post),
    "session correction: another match's goal": ("volunteer", _session_correction),
    "intake: another trajectory's goal": ("staff", _intake),
    "ending: another trajectory's goal": ("coordinator", _ending),
    "enrolment: another location's offer": ("staff", _enrolment),
    "referral: attach to a hidden person": ("staff", _referral_attach),
    "referral: attach to no person": ("staff", _referral_attach_garbage),
    "referral: another location": ("staff", _referral_location),
    "known person: one not offered": ("staff", _known_person),
    "owner: another location's coordinator": ("admin", _owner),
    "self-registration: another location": ("staff", _selfreg_location),
    "self-registration: attach to a hidden person": ("staff", _selfreg_attach),
}


# Edited hidden fields: a form that is right in every other way names a goal, an offer or an
# account of someone else.

def _valid_session_post(here, values, user):
    return f"/mijn/koppelingen/{_own_match(user).id}/bijeenkomst", {
        "held_on": "2026-11-20", "minutes": "60", "practised": "Lezen",
        "goals-0-goal_id": values["goal_id"], "goals-0-progress": "good"}


def _valid_ending(here, values, user):
    mine = factories.waiting_trajectory(here)
    return f"/trajecten/{mine.id}/afsluiten", {
        "outcome": "stopped", "end_reason": "anders", "confirm": "y",
        "goals-0-goal_id": values["goal_id"], "goals-0-result": "achieved"}


def _valid_enrolment(here, values, user):
    mine = factories.waiting_trajectory(here)
    return f"/trajecten/{mine.id}/inschrijven", {"offer_id": values["offer_id"],
                                                 "start_on": "2026-11-23"}


def _account_link(here, values, user):
    volunteer = factories.volunteer(locations=[here])
    return f"/vrijwilligers/{volunteer.id}/account/koppelen", {
        "account-user_id": values["user_id"]}


EDITED_HIDDEN_FIELDS = {
    "session: another match's goal in a valid form": ("volunteer", _valid_session_post),
    "ending: another trajectory's goal in a valid form": ("coordinator", _valid_ending),
    "enrolment: another location's offer in a valid form": ("staff", _valid_enrolment),
    "account link: a user who is no volunteer": ("coordinator", _account_link),
}
ALL_FORGED = FORGED | EDITED_HIDDEN_FIELDS


def _everything(db) -> dict[str, list[str]]:
    return {table.name: sorted(map(repr, db.session.execute(sa.select(table))))
            for table in db.metadata.sorted_tables}


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("case", ALL_FORGED)
def test_a_forged_id_in_a_form_gets_404_and_changes_nothing(
        client, auth, db, case):
    role, build = ALL_FORGED[case]
    here, values = foreign_world(db)
    user = own_world(role, here)
    url, data = build(here, values, user)
    db.session.commit()
    auth.login(user)
    before = _everything(db)
    assert client.post(url, data=data).status_code == 404
    assert _everything(db) == before


@time_machine.travel(NOW, tick=False)
def test_a_session_with_a_future_date_and_own_goals_gets_the_date_error(client, auth, db):
    here, _values = foreign_world(db)
    user = own_world("volunteer", here)
    own = _own_match(user)
    goal = factories.learning_goal(own.trajectory)
    db.session.commit()
    auth.login(user)
    response = client.post(f"/mijn/koppelingen/{own.id}/bijeenkomst", data={
        "held_on": TOMORROW, "minutes": "60", "practised": "Lezen",
        "goals-0-goal_id": goal.id, "goals-0-progress": "good"})
    assert response.status_code == 200
    assert "De datum ligt in de toekomst." in response.get_data(as_text=True)


# --- The coordinators of a location ----------------------------------------------------------

def test_only_active_coordinators_of_the_location_may_become_owner(client, auth, db):
    here = factories.location("Bibliotheek Hier")
    admin = factories.user("admin", locations=[here])
    coordinator = factories.user("coordinator", locations=[here], name="Coördinator Hier")
    factories.user("coordinator", locations=[here], name="Uit Dienst", active=False)
    factories.user("coordinator", name="Coördinator Elders")
    factories.user("staff", locations=[here], name="Medewerker Hier")
    mine = factories.trajectory(factories.participant(), location_obj=here)
    db.session.commit()
    auth.login(admin)
    page = client.get(f"/deelnemers/{mine.participant_id}").get_data(as_text=True)
    assert "Coördinator Hier" in page
    for name in ("Uit Dienst", "Coördinator Elders", "Medewerker Hier", admin.name):
        assert f">{name}<" not in page, name
    # An admin linked to the location is not one of its coordinators either.
    response = client.post(f"/deelnemers/traject/{mine.id}/eigenaar",
                           data={"owner_id": admin.id})
    assert response.status_code == 404
    response = client.post(f"/deelnemers/traject/{mine.id}/eigenaar",
                           data={"owner_id": coordinator.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert mine.owner_id == coordinator.id


# --- The person's rights (issue 13): inzage and "Wie keek er?" ------------------------------
# The matrix above proves a foreign person answers 404; these are the user's own people: only
# the coordinator and the admin (privacy.inzage, privacy.who_looked) get them, the others 404
# (a page about one record does not say whether it exists), and the audit log is the admin's.

PRIVACY_PATHS = ("inzage", "inzage.pdf", "inzage.json", "wie-keek-er")


@pytest.mark.parametrize("role", ROLES)
def test_inzage_and_who_looked_of_ones_own_person(client, auth, db, role):
    here = factories.location("Bibliotheek Hier")
    user = own_world(role, here)
    person = factories.trajectory(factories.participant(first_name="Eigenpersoon"),
                                  location_obj=here).participant
    if role == "partner":
        person.trajectories[0].referral.partner = user.partner
    db.session.commit()
    auth.login(user)
    expected = 200 if role in ("admin", "coordinator") else 404
    for path in PRIVACY_PATHS:
        response = client.get(f"/deelnemers/{person.id}/{path}")
        assert response.status_code == expected, (role, path, response.status_code)
    assert client.get("/logboek/").status_code == (200 if role == "admin" else 403)
