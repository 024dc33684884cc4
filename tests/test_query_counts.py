"""Queries per page do not grow with the data (issue 14, "queries per page independent of
data size").

Every GET route of the app (tests/route_walk.py: a new route is walked automatically, and a
route argument the walk has no record for fails it) is opened by every role (admin,
coordinator, staff, volunteer, partner user: a refusal is compared too), by a partner system
with an API token (the API) and, for the public pages, by a visitor who is not signed in;
some pages also with the query strings of their other tabs and filters (VARIANTS). First
on a small world (two rows in every list), then again after the world has grown to seven
rows in every list (more participants, trajectories, referrals, check-ins, contacts,
volunteers, matches, sessions, groups, appointments, audit events, notifications, letters,
answers...). The same user opens the same page both times, and the number of SQL
statements must be the same: a page that loads something per row (an N+1) fails here with
the statements that were repeated.

The page size is 12 for the test, so a paged list shows a full page on the big world and
fewer rows on the small one. QUERY_COUNTS_REPORT=<file> writes every page's two counts.
"""

import os
import re
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.api.service import create_token
from app.audit.models import AuditEvent
from app.auth.session import PUBLIC_ENDPOINTS
from app.participants.service import SHARE_KIND

from . import factories
from .route_walk import ROLES, pages, signed_in_clients

NOW = factories.aware(2026, 11, 23, 10, 0)
TODAY = date(2026, 11, 23)
PAGE_SIZE = 12
SMALL, LARGE = 2, 7
# Statements the test set-up's nested transactions add (none on the plain test client).
IGNORED = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
# An IN list has a placeholder per value: one statement however many values it names.
IN_LIST = re.compile(r"(\?|%\([^)]*\)s)(, (\?|%\([^)]*\)s))+")
WRITES = ("INSERT", "UPDATE", "DELETE")


# Pages opened once more with a query string: the other tabs, filters and views people use
# all day (issue 14's list), from the world's ids.
VARIANTS = {
    "referrals.queue": ("lijst=contact", "lijst=niet-bereikt", "locatie={location_id}"),
    "checkins.tasks": ("van=vestiging",),
    "appointments.agenda": ("locatie={location_id}&dag=2026-11-20",
                            "locatie={location_id}&weergave=week&dag=2026-11-20"),
    "participants.index": ("q=Groei", "q=06-2000", "status=active",
                           "location={location_id}"),
    "audit.index": ("deelnemer={participant_id}", "persoon=Geheimnaam"),
    "volunteers.index": ("zoek=Vrij",),
}


def _is_public(app, endpoint: str) -> bool:
    return endpoint in PUBLIC_ENDPOINTS or getattr(app.view_functions[endpoint], "_public",
                                                   False)


class World:
    """The route walk's world (one record of every kind, the users who may see them) and
    what grows it: `grow(n)` adds n rows to every list those users see."""

    def __init__(self, db, values):
        from app.admin.models import Location
        from app.auth.models import User
        from app.matching.models import Match, Offer
        from app.participants.models import Participant, Trajectory
        from app.partners.models import Partner, PartnerContact

        self.db = db
        self.values = values
        self.users = {role: db.session.get(User, user_id)
                      for role, user_id in values["role_user_ids"].items()}
        self.there = db.session.get(Location, values["location_id"])
        self.partner = db.session.get(Partner, values["partner_id"])
        self.contact = db.session.get(PartnerContact, values["contact_id"])
        self.participant = db.session.get(Participant, values["participant_id"])
        self.trajectory = db.session.get(Trajectory, values["trajectory_id"])
        self.match = db.session.get(Match, values["match_id"])
        self.volunteer = self.match.volunteer
        self.offer = db.session.get(Offer, values["offer_id"])
        self.grown = 0

    def grow(self, n: int) -> None:
        for _ in range(n):
            self.grown += 1
            self._one_more(self.grown)
        self.db.session.commit()

    def _one_more(self, i: int) -> None:  # noqa: PLR0915 (one row of every list, in order)
        from app.admin.models import ClosedDay
        from app.api.models import ApiToken
        from app.appointments.models import Appointment
        from app.groups.models import Attendance, GroupMeeting
        from app.matching.models import Enrollment
        from app.messaging.models import InboundMessage, MessageStop
        from app.notifications.models import Notification
        from app.privacy.models import ErasureRequest
        from app.referrals.models import ContactAttempt, Referral
        from app.selfreg.models import SelfRegistration
        from app.volunteers.models import VolunteerTraining

        db, users = self.db, self.users
        coordinator, staff = users["coordinator"], users["staff"]
        # A location of its own for every row, also one of the coordinator's and staff
        # member's: rows that each name a different location (owner, partner...) show
        # whether a page loads those one by one.
        place = factories.location(f"Bibliotheek Groei {i}")
        coordinator.locations.append(place)
        staff.locations.append(place)
        colleague = factories.user("coordinator", locations=[self.there, place],
                                   name=f"Collega Groei {i}")
        where = self.there if i % 2 else place
        other_partner = factories.partner(f"Partner Groei {i}")
        factories.partner_contact(other_partner, name=f"Contact Groei {i}",
                                  email=f"contact{i}@groei.example")
        contact = factories.partner_contact(self.partner, name=f"Verwijzer {i}",
                                            email=f"verwijzer{i}@partner.example")
        db.session.add(ApiToken(partner=self.partner, name=f"Systeem {i}",
                                token_hash=f"{i:064d}", prefix=f"hv_{i:04d}"))
        db.session.add(ClosedDay(day=date(2027, 1, 1) + timedelta(days=i)))

        # A person in help with the world's volunteer, referred by the world's partner.
        person = factories.participant(first_name=f"Actief{i}", last_name=f"Groei {i}",
                                       phone=f"06-2000{i:04d}")
        factories.consent(person, by=coordinator)
        active = factories.trajectory(person, location_obj=where, status="active",
                                      owner=coordinator if i % 2 else colleague,
                                      referred_on=date(2026, 10, 1) + timedelta(days=i),
                                      started_on=date(2026, 11, 1))
        active.referral.partner = self.partner
        active.referral.partner_contact = contact
        factories.consent(person, kind=SHARE_KIND, by=coordinator, referral=active.referral)
        factories.intake(active, availability=["tue-morning"], by=coordinator)
        goal = factories.learning_goal(active)
        match = factories.match(active, self.volunteer)
        factories.match_session(match, concern=True, created_by=self.volunteer.user,
                                held_on=date(2026, 11, 20))
        # The coordinator's own task is the most overdue: it heads the location's list on
        # both worlds (whether the signed-in user is among a page's assignees decides
        # whether the page reloads them once after the audit commit, whatever the size).
        factories.checkin(active, due_on=TODAY - timedelta(days=30 + i), assignee=coordinator,
                          rule_code=None, kind="waiting", goal_id=goal.id)
        factories.checkin(active, due_on=TODAY, assignee=coordinator, rule_code=None,
                          kind="waiting")
        factories.checkin(active, due_on=TODAY - timedelta(days=i), assignee=colleague,
                          rule_code=None, kind="waiting")
        enrollment = Enrollment(trajectory=active, offer=self.offer, status="active",
                                started_on=date(2026, 11, 2))
        db.session.add(enrollment)

        # A person just referred (the work queue, the partner's list), one waiting for a
        # volunteer (wachtlijst) and one out of view.
        referred = factories.trajectory(
            factories.participant(first_name=f"Nieuw{i}", last_name=f"Groei {i}",
                                  phone=f"06-3000{i:04d}"),
            location_obj=where, owner=colleague if i % 2 else None,
            referred_on=TODAY - timedelta(days=i))
        referred.referral.partner = self.partner if i % 2 else other_partner
        db.session.add(ContactAttempt(trajectory=referred, by_id=colleague.id,
                                      channel="phone", reached=False,
                                      at=NOW - timedelta(hours=i)))
        db.session.add(Appointment(trajectory=referred, kind="intake", location=where,
                                   starts_at=factories.aware(2026, 11, 20, 9 + i % 8, 0),
                                   with_user_id=colleague.id, planned_by_id=coordinator.id,
                                   status="planned"))
        factories.waiting_trajectory(where, first_name=f"Wachtend{i}",
                                     waiting_since=date(2026, 10, 1) + timedelta(days=i))
        quiet = factories.trajectory(
            factories.participant(first_name=f"Stil{i}", last_name=f"Groei {i}",
                                  phone=f"06-4000{i:04d}"),
            location_obj=where, status="active", owner=colleague,
            started_on=date(2026, 6, 1))
        # Held at the world's location whatever the row's own: the agenda and the cards of
        # the world's day grow too.
        db.session.add(Appointment(trajectory=quiet, kind="intake", location=self.there,
                                   starts_at=factories.aware(2026, 11, 20, 9, 30 + i),
                                   with_user_id=coordinator.id, status="held"))
        quiet.last_contact_at = factories.aware(2026, 6, 1, 10, 0)
        quiet.out_of_view_since = factories.aware(2026, 9, 1, 10, 0)
        # The partner's referrals in every stage the portal tells (with their consent), and
        # a second referral of theirs for a person another partner referred first.
        for stage in ("contacted", "intake_planned", "unreachable", "waiting", "ended"):
            staged = factories.trajectory(
                factories.participant(first_name=f"Fase{i}", last_name=stage,
                                      phone=f"06-6000{i:04d}"),
                location_obj=where, status=stage, owner=colleague,
                referred_on=date(2026, 9, 1) + timedelta(days=i))
            staged.referral.partner = self.partner
            staged.referral.result_on = date(2026, 9, 10)
            if stage == "waiting":
                staged.waiting_since = staged.first_waiting_since = date(2026, 10, 1)
                factories.intake(staged, held_on=date(2026, 9, 20))
            if stage == "ended":
                staged.ended_on, staged.outcome = date(2026, 11, 1), "goal_reached"
            factories.consent(staged.participant, kind=SHARE_KIND, by=colleague,
                              referral=staged.referral)
        second = Referral(trajectory=quiet, is_primary=False, partner=self.partner,
                          referred_on=date(2026, 11, 1), question="Ook rekenen",
                          channel="phone", first_contact_due=date(2026, 11, 8))
        db.session.add(second)
        db.session.flush()
        factories.consent(quiet.participant, kind=SHARE_KIND, by=colleague, referral=second)
        restricted = factories.participant(first_name=f"Beperkt{i}", last_name=f"Groei {i}")
        factories.trajectory(restricted, location_obj=where, status="active")
        restricted.restricted_at = factories.aware(2026, 11, 20, 9, 0)

        # Trainings and group meetings.
        # More volunteers (with an account, without one) and accounts not yet linked.
        volunteer_user = factories.user("volunteer", name=f"Vrijwilliger Groei {i}")
        factories.volunteer(f"Vrij{i}", locations=[place, self.there], user=volunteer_user)
        factories.volunteer(f"Zonder{i}", locations=[where])
        factories.user("volunteer", name=f"Nog los {i}")
        db.session.add(VolunteerTraining(volunteer=self.volunteer, name=f"Training {i}"))
        meeting = GroupMeeting(offer=self.offer, held_on=date(2026, 11, 17) + timedelta(days=i))
        db.session.add(meeting)
        factories.offer(where, name=f"Groep Groei {i}")
        db.session.flush()
        db.session.add(Attendance(meeting_id=meeting.id, enrollment_id=enrollment.id,
                                  status="present"))
        db.session.add(Attendance(meeting_id=self.values["meeting_id"],
                                  enrollment_id=enrollment.id, status="present"))

        # The world's own person gets a longer history: contacts, check-ins, sessions,
        # letters, answers, consents, appointments, audit events.
        world = self.trajectory
        if i == 1:
            factories.consent(self.participant, kind=SHARE_KIND, by=colleague,
                              referral=world.referral)
        factories.checkin(world, due_on=TODAY - timedelta(days=10 + i), assignee=colleague,
                          rule_code=None, kind="waiting", status="done", outcome="going_well",
                          done_at=NOW - timedelta(days=10 + i), done_by_id=colleague.id)
        factories.checkin(world, due_on=TODAY + timedelta(days=i), assignee=staff,
                          rule_code=None, kind="waiting")
        db.session.add(ContactAttempt(trajectory=world, by_id=colleague.id, channel="phone",
                                      reached=True, first_contact=False,
                                      at=NOW - timedelta(days=i)))
        factories.match_session(self.match, held_on=date(2026, 11, 1) + timedelta(days=i),
                                created_by=self.volunteer.user, concern=bool(i % 2))
        factories.consent(self.participant, by=colleague)
        earlier = factories.trajectory(self.participant, location_obj=where, status="ended",
                                       referred_on=date(2024, 1, 1) + timedelta(days=i),
                                       owner=colleague, started_on=date(2024, 2, 1),
                                       ended_on=date(2024, 6, 1), outcome="goal_reached")
        earlier.referral.partner = other_partner
        factories.checkin(earlier, due_on=date(2024, 3, 1), assignee=colleague,
                          rule_code=None, kind="waiting", status="done", outcome="going_well",
                          done_at=factories.aware(2024, 3, 1, 10, 0), done_by_id=colleague.id)
        factories.learning_goal(world, own_words=f"Doel {i}")
        db.session.add(Appointment(trajectory=world, kind="intake", location=self.there,
                                   starts_at=factories.aware(2026, 11, 20, 10, i),
                                   with_user_id=colleague.id, planned_by_id=colleague.id,
                                   status="held"))
        db.session.add(InboundMessage(provider="outbox", provider_message_id=f"groei-{i}",
                                      channel="sms", from_phone=f"+3162000{i:04d}",
                                      body=f"Antwoord {i}", participant_id=person.id,
                                      trajectory_id=active.id, meaning="other"))
        db.session.add(InboundMessage(provider="outbox", provider_message_id=f"wereld-{i}",
                                      channel="sms", from_phone="+31612340000",
                                      body=f"Nog een antwoord {i}",
                                      participant_id=self.participant.id,
                                      trajectory_id=world.id, meaning="other"))
        db.session.add(MessageStop(participant_id=person.id, channel="sms",
                                   phone=f"+3162000{i:04d}", stopped_at=NOW))
        db.session.add(SelfRegistration(first_name=f"Zelf{i}", phone=f"06-5000{i:04d}",
                                        status="pending"))
        db.session.add(ErasureRequest(participant_id=person.id, requested_by_id=colleague.id))
        for letter_of in (person, self.participant):
            db.session.add(Notification(
                kind="msg_free", subject_key=f"free:groei{i}", recipient_key=f"p{letter_of.id}",
                period_key="free", channel="letter", participant_id=letter_of.id,
                trajectory_id=active.id if letter_of is person else world.id,
                subject=f"Brief {i}", body="Beste deelnemer"))
        for role, user in users.items():
            db.session.add(Notification(
                kind="test", subject_key=f"groei{i}", recipient_key=f"user:{user.id}",
                period_key=str(i), user_id=user.id, channel="app", subject=f"Bericht {i}",
                body="Er is iets veranderd", status="sent", link="/",
                sent_at=NOW - timedelta(hours=i)))
            db.session.add(Notification(
                kind="test", subject_key=f"mail{i}", recipient_key=f"user:{user.id}",
                period_key=str(i), user_id=user.id, email=user.email, channel="email",
                subject=f"Mail {i}", body="Tekst", status="failed", attempts=5,
                last_error="550 no such user"))
            db.session.add(AuditEvent(
                user_id=colleague.id if role == "admin" else user.id, action="view",
                object_type="participant", object_id=self.participant.id,
                participant_id=self.participant.id, summary=f"Groei {i} {role}",
                at=NOW - timedelta(minutes=i)))
        db.session.flush()


@pytest.fixture
def small_page_size(app, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", PAGE_SIZE)
    monkeypatch.setattr("app.audit.views.PER_PAGE", PAGE_SIZE)


def _statements(db, client, path, headers=None) -> tuple[int, list[str]]:
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(IGNORED):
            seen.append(IN_LIST.sub("...", " ".join(statement.split())))

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        response = client.get(path, headers=headers or {})
        status = response.status_code
        response.close()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    return status, seen


def _pages_and_variants(app, values):
    """(rule, path, name) of every page of the walk and of its VARIANTS."""
    for rule, path in pages(app, values):
        yield rule, path, rule.endpoint
        for query in VARIANTS.get(rule.endpoint, ()):
            query = query.format(**values)
            yield rule, f"{path}?{query}", f"{rule.endpoint}?{query}"


def _walk(app, db, values, visitors, *, warm_up: bool) -> dict:
    """(page, role) -> (path, status, statements) for every page and visitor."""
    # Every page sees the world as grown, not the audit rows earlier pages of the walk
    # wrote (they would fill the audit log's pages on the small world too).
    last_event = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    seen = {}
    for rule, path, page in _pages_and_variants(app, values):
        for role, client, headers in visitors(rule):
            db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id > last_event))
            db.session.commit()
            status, statements = _statements(db, client, path, headers)
            if warm_up and any(s.startswith(WRITES) and " audit_events " not in s
                               for s in statements):
                # A page that writes something on a first visit only (a new two-factor
                # secret, the token's last use) is counted on its next one.
                db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id > last_event))
                db.session.commit()
                status, statements = _statements(db, client, path, headers)
            seen[page, role] = (path, status, statements)
    return seen


def _difference(small: list[str], large: list[str]) -> str:
    more = Counter(large) - Counter(small)
    fewer = Counter(small) - Counter(large)
    lines = [f"  +{n}x {s[:300]}" for s, n in more.most_common()]
    lines += [f"  -{n}x {s[:300]}" for s, n in fewer.most_common()]
    return "\n".join(lines)


def test_queries_per_page_do_not_grow_with_the_data(app, db, frozen, small_page_size):
    values, clients = signed_in_clients(app, db)
    world = World(db, values)
    _record, token = create_token(world.partner, "Zaaksysteem", None, NOW)
    db.session.commit()
    anonymous = app.test_client()
    api = {"Authorization": f"Bearer {token}"}

    def visitors(rule):
        if rule.endpoint.startswith("api."):
            yield "api", anonymous, api
        if _is_public(app, rule.endpoint):
            yield "visitor", anonymous, None
        for role in ROLES:
            yield role, clients[role], None

    world.grow(SMALL - 1)  # the walk's world has one of everything already
    small = _walk(app, db, values, visitors, warm_up=True)
    world.grow(LARGE - SMALL)
    large = _walk(app, db, values, visitors, warm_up=False)

    report = os.environ.get("QUERY_COUNTS_REPORT")
    if report:  # the table of every page's counts, for a person looking into them
        with open(report, "w") as out:
            for (endpoint, role), (_path, status, statements) in small.items():
                _p, large_status, large_statements = large[endpoint, role]
                out.write(f"{endpoint}\t{role}\t{status}\t{large_status}\t"
                          f"{len(statements)}\t{len(large_statements)}\n")
    failures = []
    for (endpoint, role), (path, status, statements) in small.items():
        _path, large_status, large_statements = large[endpoint, role]
        if (status, len(statements)) != (large_status, len(large_statements)):
            failures.append(
                f"{endpoint} {path} as {role}: status {status} -> {large_status}, "
                f"{len(statements)} -> {len(large_statements)} queries\n"
                + _difference(statements, large_statements))
    # The walk showed pages to every kind of visitor (not only refusals).
    shown = {role for (_e, role), (_p, status, _s) in large.items() if status == 200}
    assert shown == {*ROLES, "api", "visitor"}
    assert not failures, f"{len(failures)} pages:\n" + "\n\n".join(failures)
