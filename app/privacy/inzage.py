"""Inzage: everything Houvast holds about one person, to read, print or take along, and
"Wie keek er?": every view and change of their record.

`collect()` gathers the data once, in a fixed number of queries whatever the length of the
history; the three forms are made from what it returns:

- the print view (templates/privacy/inzage.html) and the PDF (`pdf()`) both read the Dutch
  `sections()` of it, so paper and screen say the same;
- the JSON file (`to_json()`) is the data itself. Its keys are stable (English, snake
  case); codes are the codes Houvast stores, dates are ISO 8601 (`2026-11-20`), moments are
  ISO 8601 in UTC (`2026-11-20T09:00:00+00:00`). Layout::

    format            "houvast-inzage/1"
    made_at           moment the file was made
    made_by           {"name", "role"} of who made it
    complete          false when the person also has trajectories at a location the maker
                      may not see (an admin makes the complete one)
    person            {"id", "first_name", "last_name", "phone", "email",
                       "preferred_channel", "message_language", "birth_year",
                       "language_background", "native_language", "other_languages", "sex",
                       "postcode4", "found_via", "created_at", "updated_at",
                       "restricted_at", "anonymised_at"}
    trajectories[]    {"id", "location", "owner", "status", "referred_on", "started_on",
                       "ended_on", "outcome", "end_reason", "last_contact_at",
                       "out_of_view_since", "anonymised_at",
                       "referrals[]":   {"id", "referred_on", "partner", "contact_person",
                                         "referrer_name", "referrer_phone", "referrer_email",
                                         "question", "channel", "best_moment", "result",
                                         "result_on", "primary"},
                       "contact_attempts[]": {"at", "by", "reached", "channel", "note",
                                              "outcome"},
                       "intake":        null or {"held_on", "by", "scale", "levels": {skill:
                                         level}, "knows_latin_alphabet", "digital_level",
                                         "numeracy_level", "screening_tool",
                                         "screening_result", "availability[]",
                                         "volunteer_preferences", "motivation",
                                         "advised_offer", "wished_offer",
                                         "offer_difference_reason"},
                       "learning_goals[]": {"id", "subject", "context", "own_words",
                                            "target_date", "status"},
                       "matches[]":     {"id", "volunteer", "status", "proposed_on",
                                         "started_on", "ended_on", "end_reason", "end_note",
                                         "sessions[]": {"held_on", "minutes", "practised",
                                                        "remark", "concern",
                                                        "not_held_reason",
                                                        "goals[]": {"goal_id", "progress"}}},
                       "group_enrollments[]": {"id", "group", "status", "started_on",
                                               "ended_on",
                                               "attendance[]": {"meeting_on", "status"}},
                       "checkins[]":    {"due_on", "title", "kind", "status", "outcome",
                                         "note", "done_at", "done_by"},
                       "appointments[]": {"kind", "starts_at", "place", "with", "status",
                                          "confirmed_at", "declined_at"},
                       "moves[]":       {"at", "from", "to", "reason", "by"}}
    consents[]        {"kind", "given", "method", "recorded_at", "recorded_by", "note",
                       "referral_id"}  (oldest first: the history; the newest per kind, and
                       for "share_with_referrer" per referral, is the one in force)
    messages[]        {"at", "to" ("participant", "staff" or "referrer"), "to_name",
                       "channel", "kind", "subject", "body", "status",
                       "sent_at"}   (sent to the person, or to staff and referrers about them)
    answers[]         {"received_at", "channel", "body", "meaning"}
    message_stops[]   {"channel", "phone", "stopped_at", "source", "lifted_at"}
    audit[]           {"at", "user", "role", "action", "object_type", "object_id",
                       "summary", "text"}  (newest first; "text" is the line in Dutch)
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import Response, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from app.admin.service import reference_label
from app.appointments.models import Appointment
from app.audit import labels
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.audit.names import names_for
from app.auth.models import User
from app.auth.permissions import get_participant_or_404, require, trajectory_scope
from app.checkins.models import CheckIn
from app.core import choices
from app.core.phone import display_phone
from app.core.timeutil import utcnow
from app.extensions import db
from app.groups.models import Attendance, GroupMeeting
from app.intakes.models import Intake, LearningGoal
from app.matching.models import Enrollment, Match, MatchSession
from app.messaging.models import InboundMessage, MessageStop
from app.notifications.models import Notification
from app.participants.models import Consent, Participant, Trajectory, TrajectoryMove
from app.privacy import bp
from app.referrals.models import ContactAttempt, Referral

FORMAT = "houvast-inzage/1"
WHO_LOOKED_PER_PAGE = 50


# --- Collecting -------------------------------------------------------------------------------

def _rows(query) -> list:
    return list(db.session.scalars(query).unique())


def _by(rows: Iterable, key: str) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


def collect(participant: Participant, viewer, now: datetime) -> dict:
    """Everything about `participant` that `viewer` may see, as plain data (see the module
    docstring for the layout). About twenty queries, whatever the size of the history."""
    # Restricted people keep the right to see what we hold (AVG art. 15 and 18): the lists
    # leave them out, the inzage does not.
    scope = trajectory_scope(viewer, include_restricted=True)
    trajectories = _rows(
        sa.select(Trajectory).where(Trajectory.participant_id == participant.id, scope)
        .options(joinedload(Trajectory.location))
        .order_by(Trajectory.referred_on.desc(), Trajectory.id.desc()))
    all_count = db.session.scalar(sa.select(sa.func.count()).select_from(Trajectory).where(
        Trajectory.participant_id == participant.id))
    ids = [t.id for t in trajectories] or [-1]
    referrals = _rows(sa.select(Referral).where(Referral.trajectory_id.in_(ids))
                      .options(joinedload(Referral.partner), joinedload(Referral.partner_contact))
                      .order_by(Referral.id))
    attempts = _rows(sa.select(ContactAttempt).where(ContactAttempt.trajectory_id.in_(ids))
                     .order_by(ContactAttempt.at))
    intakes = {i.trajectory_id: i for i in _rows(
        sa.select(Intake).where(Intake.trajectory_id.in_(ids)))}
    goals = _rows(sa.select(LearningGoal).where(LearningGoal.trajectory_id.in_(ids))
                  .order_by(LearningGoal.id))
    matches = _rows(sa.select(Match).where(Match.trajectory_id.in_(ids))
                    .options(joinedload(Match.volunteer)).order_by(Match.id))
    match_ids = [m.id for m in matches] or [-1]
    sessions = _rows(sa.select(MatchSession).where(MatchSession.match_id.in_(match_ids))
                     .options(selectinload(MatchSession.goal_marks))
                     .order_by(MatchSession.held_on, MatchSession.id))
    enrollments = _rows(sa.select(Enrollment).where(Enrollment.trajectory_id.in_(ids))
                        .options(joinedload(Enrollment.offer)).order_by(Enrollment.id))
    enrollment_ids = [e.id for e in enrollments] or [-1]
    attendance = list(db.session.execute(
        sa.select(Attendance.enrollment_id, GroupMeeting.held_on, Attendance.status)
        .join(GroupMeeting, GroupMeeting.id == Attendance.meeting_id)
        .where(Attendance.enrollment_id.in_(enrollment_ids))
        .order_by(GroupMeeting.held_on)))
    checkins = _rows(sa.select(CheckIn).where(CheckIn.trajectory_id.in_(ids))
                     .options(joinedload(CheckIn.rule)).order_by(CheckIn.due_on, CheckIn.id))
    appointments = _rows(sa.select(Appointment).where(Appointment.trajectory_id.in_(ids))
                         .options(joinedload(Appointment.location))
                         .order_by(Appointment.starts_at))
    moves = _rows(sa.select(TrajectoryMove).where(TrajectoryMove.trajectory_id.in_(ids))
                  .options(joinedload(TrajectoryMove.from_location),
                           joinedload(TrajectoryMove.to_location))
                  .order_by(TrajectoryMove.moved_at))
    referral_ids = {r.id for r in referrals}
    # A share consent of a referral this viewer may not see stays with that referral.
    consents = [c for c in _rows(
        sa.select(Consent).where(Consent.participant_id == participant.id)
        .order_by(Consent.recorded_at, Consent.id))
        if c.referral_id is None or c.referral_id in referral_ids]
    visible = sa.or_(Notification.trajectory_id.is_(None), Notification.trajectory_id.in_(ids))
    keys = ([f"trajectory:{i}" for i in ids if i > 0] + [f"match:{i}" for i in match_ids if i > 0]
            + [f"enrollment:{i}" for i in enrollment_ids if i > 0]
            + [f"appointment:{a.id}" for a in appointments]
            + [f"session:{s.id}" for s in sessions])
    messages = _rows(
        sa.select(Notification).where(
            sa.or_(Notification.participant_id == participant.id,
                   Notification.subject_key.in_(keys or ["-"])), visible)
        .order_by(Notification.created_at.desc(), Notification.id.desc()))
    answers = _rows(sa.select(InboundMessage).where(
        InboundMessage.participant_id == participant.id,
        sa.or_(InboundMessage.trajectory_id.is_(None), InboundMessage.trajectory_id.in_(ids)))
        .order_by(InboundMessage.received_at.desc()))
    stops = _rows(sa.select(MessageStop).where(MessageStop.participant_id == participant.id)
                  .order_by(MessageStop.stopped_at))
    events = list(db.session.execute(
        sa.select(AuditEvent, User.name, User.role)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.participant_id == participant.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())))
    event_names = names_for(e for e, _name, _role in events)

    user_ids = {participant.restricted_by_id}
    for t in trajectories:
        user_ids.add(t.owner_id)
    user_ids |= {a.by_id for a in attempts} | {i.by_id for i in intakes.values()}
    user_ids |= {c.done_by_id for c in checkins} | {a.with_user_id for a in appointments}
    user_ids |= {m.moved_by_id for m in moves} | {c.recorded_by_id for c in consents}
    user_ids |= {n.user_id for n in messages}
    user_ids.discard(None)
    names = dict(db.session.execute(sa.select(User.id, User.name).where(
        User.id.in_(user_ids or {-1}))).all())

    def who(user_id: int | None) -> str | None:
        return names.get(user_id) if user_id is not None else None

    referrals_of, attempts_of, goals_of = (_by(referrals, "trajectory_id"),
                                           _by(attempts, "trajectory_id"),
                                           _by(goals, "trajectory_id"))
    matches_of, sessions_of = _by(matches, "trajectory_id"), _by(sessions, "match_id")
    enrollments_of, checkins_of = _by(enrollments, "trajectory_id"), _by(checkins,
                                                                         "trajectory_id")
    appointments_of, moves_of = _by(appointments, "trajectory_id"), _by(moves, "trajectory_id")
    attendance_of: dict[int, list] = {}
    for enrollment_id, held_on, status in attendance:
        attendance_of.setdefault(enrollment_id, []).append(
            {"meeting_on": held_on, "status": status})

    def intake_data(i: Intake | None) -> dict | None:
        if i is None:
            return None
        return {
            "held_on": i.held_on, "by": who(i.by_id), "scale": i.scale,
            "levels": {skill: getattr(i, f"level_{skill}") for skill in choices.SKILLS},
            "knows_latin_alphabet": i.knows_latin_alphabet, "digital_level": i.digital_level,
            "numeracy_level": i.numeracy_level, "screening_tool": i.screening_tool,
            "screening_result": i.screening_result, "availability": list(i.availability or []),
            "volunteer_preferences": i.volunteer_preferences, "motivation": i.motivation,
            "advised_offer": i.advised_offer, "wished_offer": i.wished_offer,
            "offer_difference_reason": i.offer_difference_reason,
        }

    def trajectory_data(t: Trajectory) -> dict:
        return {
            "id": t.id, "location": t.location.name, "owner": who(t.owner_id),
            "status": t.status, "referred_on": t.referred_on, "started_on": t.started_on,
            "ended_on": t.ended_on, "outcome": t.outcome, "end_reason": t.end_reason,
            "last_contact_at": t.last_contact_at, "out_of_view_since": t.out_of_view_since,
            "anonymised_at": t.anonymised_at,
            "referrals": [{
                "id": r.id, "referred_on": r.referred_on,
                "partner": r.partner.name if r.partner else None,
                "contact_person": r.partner_contact.name if r.partner_contact else None,
                "referrer_name": r.referrer_name, "referrer_phone": r.referrer_phone,
                "referrer_email": r.referrer_email, "question": r.question,
                "channel": r.channel, "best_moment": r.best_moment, "result": r.result,
                "result_on": r.result_on, "primary": r.is_primary,
            } for r in referrals_of.get(t.id, [])],
            "contact_attempts": [{
                "at": a.at, "by": who(a.by_id), "reached": a.reached, "channel": a.channel,
                "note": a.note, "outcome": a.outcome,
            } for a in attempts_of.get(t.id, [])],
            "intake": intake_data(intakes.get(t.id)),
            "learning_goals": [{
                "id": g.id, "subject": g.subject, "context": g.context,
                "own_words": g.own_words, "target_date": g.target_date, "status": g.status,
            } for g in goals_of.get(t.id, [])],
            "matches": [{
                "id": m.id, "volunteer": m.volunteer.full_name if m.volunteer else None,
                "status": m.status, "proposed_on": m.proposed_on, "started_on": m.started_on,
                "ended_on": m.ended_on, "end_reason": m.end_reason, "end_note": m.end_note,
                "sessions": [{
                    "held_on": s.held_on, "minutes": s.minutes, "practised": s.practised,
                    "remark": s.remark, "concern": s.concern,
                    "not_held_reason": s.not_held_reason,
                    "goals": [{"goal_id": g.goal_id, "progress": g.progress}
                              for g in s.goal_marks],
                } for s in sessions_of.get(m.id, [])],
            } for m in matches_of.get(t.id, [])],
            "group_enrollments": [{
                "id": e.id, "group": e.offer.name, "status": e.status,
                "started_on": e.started_on, "ended_on": e.ended_on,
                "attendance": attendance_of.get(e.id, []),
            } for e in enrollments_of.get(t.id, [])],
            "checkins": [{
                "due_on": c.due_on, "title": c.title, "kind": c.kind, "status": c.status,
                "outcome": c.outcome, "note": c.note, "done_at": c.done_at,
                "done_by": who(c.done_by_id),
            } for c in checkins_of.get(t.id, [])],
            "appointments": [{
                "kind": a.kind, "starts_at": a.starts_at, "place": a.place,
                "with": who(a.with_user_id), "status": a.status,
                "confirmed_at": a.confirmed_at, "declined_at": a.declined_at,
            } for a in appointments_of.get(t.id, [])],
            "moves": [{
                "at": m.moved_at, "from": m.from_location.name, "to": m.to_location.name,
                "reason": m.reason, "by": who(m.moved_by_id),
            } for m in moves_of.get(t.id, [])],
        }

    p = participant
    return {
        "format": FORMAT,
        "made_at": now,
        "made_by": {"name": getattr(viewer, "name", None), "role": getattr(viewer, "role", None)},
        "complete": all_count == len(trajectories),
        "person": {
            "id": p.id, "first_name": p.first_name, "last_name": p.last_name,
            "phone": p.phone, "email": p.email, "preferred_channel": p.preferred_channel,
            "message_language": p.message_language, "birth_year": p.birth_year,
            "language_background": p.language_background,
            "native_language": p.native_language, "other_languages": p.other_languages,
            "sex": p.sex, "postcode4": p.postcode4, "found_via": p.found_via,
            "created_at": p.created_at, "updated_at": p.updated_at,
            "restricted_at": p.restricted_at, "anonymised_at": p.anonymised_at,
        },
        "trajectories": [trajectory_data(t) for t in trajectories],
        "consents": [{
            "kind": c.kind, "given": c.given, "method": c.method,
            "recorded_at": c.recorded_at, "recorded_by": who(c.recorded_by_id),
            "note": c.note, "referral_id": c.referral_id,
        } for c in consents],
        "messages": [{
            "at": n.created_at,
            "to": ("participant" if n.participant_id == p.id and n.user_id is None
                   else "staff" if n.user_id is not None else "referrer"),
            "to_name": who(n.user_id) if n.user_id is not None else None,
            "channel": n.channel, "kind": n.kind, "subject": n.subject, "body": n.body,
            "status": n.status, "sent_at": n.sent_at,
        } for n in messages],
        "answers": [{
            "received_at": a.received_at, "channel": a.channel, "body": a.body,
            "meaning": a.meaning,
        } for a in answers],
        "message_stops": [{
            "channel": s.channel, "phone": s.phone, "stopped_at": s.stopped_at,
            "source": s.source, "lifted_at": s.lifted_at,
        } for s in stops],
        "audit": [{
            "at": e.at, "user": name, "role": role, "action": e.action,
            "object_type": e.object_type, "object_id": e.object_id, "summary": e.summary,
            "text": labels.event_text(e.action, e.object_type, e.summary, event_names),
        } for e, name, role in events],
    }


# --- The JSON file ---------------------------------------------------------------------------

def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def to_json(data: dict) -> str:
    return json.dumps(data, default=_plain, ensure_ascii=False, indent=2)


# --- The readable document (print view and PDF) -------------------------------------------

@dataclass
class Block:
    """A group of facts under a small heading, e.g. one learning goal."""

    heading: str | None
    facts: list[tuple[str, object]] = field(default_factory=list)

    def add(self, label: str, value, *, always: bool = False) -> None:
        """A fact, left out when there is nothing to say (unless `always`)."""
        if value in (None, "", []) and not always:
            return
        self.facts.append((label, value))


@dataclass
class Section:
    title: str
    intro: str | None = None
    blocks: list[Block] = field(default_factory=list)
    # A table instead of blocks: (headings, rows).
    table: tuple[list[str], list[list]] | None = None
    empty: str | None = None


def _yes_no(value: bool | None) -> str:
    if value is None:
        return _("Onbekend")
    return _("Ja") if value else _("Nee")


def _label(mapping: dict, code) -> str:
    return choices.label(mapping, code) if code else ""


def sections(data: dict) -> list[Section]:
    """The inzage in plain Dutch: one section per kind of data."""
    person = data["person"]
    out: list[Section] = []
    me = Block(None)
    me.add(_("Voornaam"), person["first_name"], always=True)
    me.add(_("Achternaam"), person["last_name"])
    me.add(_("Telefoon"), display_phone(person["phone"]) if person["phone"] else None)
    me.add(_("E-mail"), person["email"])
    me.add(_("Contact het liefst via"), _label(choices.PREFERRED_CHANNEL,
                                               person["preferred_channel"]))
    me.add(_("Berichten ook in"), _label(choices.MESSAGE_LANGUAGE, person["message_language"]))
    me.add(_("Geboortejaar"), person["birth_year"])
    me.add(_("Taal"), _label(choices.LANGUAGE_BACKGROUND, person["language_background"]))
    me.add(_("Moedertaal"), person["native_language"])
    me.add(_("Spreekt ook"), person["other_languages"])
    me.add(_("Geslacht"), _label(choices.SEX, person["sex"]))
    me.add(_("Postcode (4 cijfers)"), person["postcode4"])
    me.add(_("Kwam bij ons via"), reference_label("found_via", person["found_via"]))
    me.add(_("In Houvast sinds"), person["created_at"])
    me.add(_("Verwerking beperkt sinds"), person["restricted_at"])
    me.add(_("Gegevens geanonimiseerd op"), person["anonymised_at"])
    out.append(Section(_("Uw gegevens"), blocks=[me]))

    for t in data["trajectories"]:
        out.extend(_trajectory_sections(t))

    consents = Section(_("Toestemming"), intro=_(
        "Waar u ja of nee tegen zei, van oud naar nieuw. Het nieuwste antwoord telt."),
        empty=_("Er is nog geen toestemming vastgelegd."))
    referral_names = {r["id"]: r["partner"] or r["referrer_name"] or _("onbekende verwijzer")
                      for t in data["trajectories"] for r in t["referrals"]}
    for c in data["consents"]:
        block = Block(_label(choices.CONSENT_KIND, c["kind"]))
        block.add(_("Antwoord"), _yes_no(c["given"]), always=True)
        if c["referral_id"] is not None:
            block.add(_("Voor de verwijzer"), referral_names.get(c["referral_id"]))
        block.add(_("Wanneer"), c["recorded_at"])
        block.add(_("Hoe"), _label(choices.CONSENT_METHOD, c["method"]))
        block.add(_("Vastgelegd door"), c["recorded_by"])
        block.add(_("Opmerking"), c["note"])
        consents.blocks.append(block)
    out.append(consents)

    messages = Section(_("Berichten"), intro=_(
        "Berichten aan u, en berichten aan medewerkers of verwijzers over u."),
        empty=_("Er zijn geen berichten."))
    for m in data["messages"]:
        block = Block(m["subject"])
        block.add(_("Wanneer"), m["at"], always=True)
        block.add(_("Aan"), {"participant": _("u"), "staff": m["to_name"]}.get(
            m["to"], _("uw verwijzer")))
        block.add(_("Hoe"), _label({**choices.PREFERRED_CHANNEL, "app": _("in Houvast")},
                                   m["channel"]))
        block.add(_("Tekst"), m["body"])
        messages.blocks.append(block)
    for a in data["answers"]:
        block = Block(_("Uw antwoord"))
        block.add(_("Wanneer"), a["received_at"], always=True)
        block.add(_("Hoe"), _label(choices.PREFERRED_CHANNEL, a["channel"]))
        block.add(_("Tekst"), a["body"])
        messages.blocks.append(block)
    for s in data["message_stops"]:
        block = Block(_("U zei STOP"))
        block.add(_("Wanneer"), s["stopped_at"], always=True)
        block.add(_("Hoe"), _label(choices.PREFERRED_CHANNEL, s["channel"]))
        block.add(_("Telefoon"), display_phone(s["phone"]))
        block.add(_("Weer aan sinds"), s["lifted_at"])
        messages.blocks.append(block)
    out.append(messages)

    out.append(Section(
        _("Wie keek of veranderde er iets?"),
        intro=_("Elke keer dat een medewerker uw gegevens bekeek of veranderde. Nieuwste "
                "eerst."),
        table=([_("Wanneer"), _("Wie"), _("Rol"), _("Wat")],
               [[e["at"], e["user"] or _("systeem"),
                 _label(choices.ROLE_LABELS, e["role"]), e["text"]] for e in data["audit"]]),
        empty=_("Nog niets in het logboek.")))
    return out


def _trajectory_sections(t: dict) -> list[Section]:
    title = _("Traject bij %(location)s, aangemeld op %(day)s", location=t["location"],
              day=_day(t["referred_on"]))
    main = Block(None)
    main.add(_("Status"), _label(choices.TRAJECTORY_STATUS, t["status"]), always=True)
    main.add(_("Begeleid door"), t["owner"])
    main.add(_("Begonnen op"), t["started_on"])
    main.add(_("Afgesloten op"), t["ended_on"])
    main.add(_("Uitkomst"), _label(choices.TRAJECTORY_OUTCOME_LABELS, t["outcome"]))
    main.add(_("Reden"), reference_label("end_reason", t["end_reason"]))
    main.add(_("Laatste contact"), t["last_contact_at"])
    section = Section(title, blocks=[main])
    for r in t["referrals"]:
        block = Block(_("Aanmelding"))
        block.add(_("Datum"), r["referred_on"], always=True)
        block.add(_("Verwezen door"), r["partner"] or r["referrer_name"] or _("Zelf gekomen"))
        block.add(_("Contactpersoon"), r["contact_person"] or (
            r["referrer_name"] if r["partner"] else None))
        block.add(_("Telefoon verwijzer"), display_phone(r["referrer_phone"])
                  if r["referrer_phone"] else None)
        block.add(_("E-mail verwijzer"), r["referrer_email"])
        block.add(_("Hulpvraag"), r["question"])
        block.add(_("Beste moment om te bellen"), r["best_moment"])
        block.add(_("Eerste contact"), _label(choices.REFERRAL_RESULT, r["result"]))
        section.blocks.append(block)
    for a in t["contact_attempts"]:
        block = Block(_("Contact"))
        block.add(_("Wanneer"), a["at"], always=True)
        block.add(_("Hoe"), _label(choices.CONTACT_CHANNEL, a["channel"]))
        block.add(_("Bereikt"), _yes_no(a["reached"]))
        block.add(_("Door"), a["by"])
        block.add(_("Notitie"), a["note"])
        section.blocks.append(block)
    if t["intake"]:
        i = t["intake"]
        scale = choices.NT2_LEVELS if i["scale"] == "nt2" else choices.NT1_LEVELS
        block = Block(_("Intakegesprek"))
        block.add(_("Datum"), i["held_on"], always=True)
        block.add(_("Door"), i["by"])
        for skill, skill_label in choices.SKILLS.items():
            block.add(str(skill_label), _label(scale, i["levels"].get(skill)))
        block.add(_("Kent het Latijnse alfabet"), _yes_no(i["knows_latin_alphabet"]))
        block.add(_("Digitale vaardigheden"), _label(choices.DIGITAL_LEVEL, i["digital_level"]))
        block.add(_("Rekenen"), _label(choices.NUMERACY_LEVEL, i["numeracy_level"]))
        block.add(_label(choices.SCREENING_TOOL, i["screening_tool"]) or _("Test"),
                  i["screening_result"])
        block.add(_("Wanneer u kunt"), ", ".join(_slot(s) for s in i["availability"]))
        block.add(_("Wensen voor een vrijwilliger"), i["volunteer_preferences"])
        block.add(_("Motivatie"), i["motivation"])
        block.add(_("Advies"), reference_label("offer", i["advised_offer"]))
        block.add(_("Wens"), reference_label("offer", i["wished_offer"]))
        block.add(_("Waarom anders"), i["offer_difference_reason"])
        section.blocks.append(block)
    for g in t["learning_goals"]:
        block = Block(_("Leerdoel"))
        block.add(_("Wat"), reference_label("goal_subject", g["subject"]), always=True)
        block.add(_("Waar"), reference_label("goal_context", g["context"]))
        block.add(_("In uw woorden"), g["own_words"])
        block.add(_("Doeldatum"), g["target_date"])
        block.add(_("Status"), _label(choices.GOAL_STATUS, g["status"]))
        section.blocks.append(block)
    for m in t["matches"]:
        block = Block(_("Taalmaatje"))
        block.add(_("Vrijwilliger"), m["volunteer"], always=True)
        block.add(_("Status"), _label(choices.MATCH_STATUS, m["status"]))
        block.add(_("Begonnen op"), m["started_on"])
        block.add(_("Gestopt op"), m["ended_on"])
        block.add(_("Reden"), reference_label("match_end_reason", m["end_reason"]))
        block.add(_("Notitie"), m["end_note"])
        section.blocks.append(block)
        for s in m["sessions"]:
            session = Block(_("Bijeenkomst met %(name)s", name=m["volunteer"] or ""))
            session.add(_("Datum"), s["held_on"], always=True)
            if s["not_held_reason"]:
                session.add(_("Ging niet door"), _label(choices.SESSION_NOT_HELD,
                                                        s["not_held_reason"]))
            else:
                session.add(_("Minuten"), s["minutes"])
            session.add(_("Geoefend"), s["practised"])
            session.add(_("Opmerking"), s["remark"])
            if s["concern"]:
                session.add(_("Zorgen"), _("Ja"))
            section.blocks.append(session)
    for e in t["group_enrollments"]:
        block = Block(_("Groep: %(name)s", name=e["group"]))
        block.add(_("Status"), _label(choices.ENROLLMENT_STATUS, e["status"]), always=True)
        block.add(_("Begonnen op"), e["started_on"])
        block.add(_("Gestopt op"), e["ended_on"])
        block.add(_("Aanwezig"), ", ".join(
            f"{_day(a['meeting_on'])}: {_label(ATTENDANCE, a['status'])}"
            for a in e["attendance"]))
        section.blocks.append(block)
    for c in t["checkins"]:
        block = Block(_("Contactmoment: %(title)s", title=c["title"]))
        block.add(_("Gepland op"), c["due_on"], always=True)
        block.add(_("Status"), _label(choices.CHECKIN_STATUS, c["status"]))
        block.add(_("Hoe ging het"), _label(choices.CHECKIN_OUTCOME, c["outcome"]))
        block.add(_("Notitie"), c["note"])
        block.add(_("Door"), c["done_by"])
        section.blocks.append(block)
    for a in t["appointments"]:
        block = Block(_("Afspraak"))
        block.add(_("Wanneer"), a["starts_at"], always=True)
        block.add(_("Waar"), a["place"])
        block.add(_("Met"), a["with"])
        block.add(_("Status"), _label(APPOINTMENT_STATUS, a["status"]))
        block.add(_("Bevestigd door u"), a["confirmed_at"])
        block.add(_("Kon niet, zei u"), a["declined_at"])
        section.blocks.append(block)
    for m in t["moves"]:
        block = Block(_("Verhuisd naar een andere locatie"))
        block.add(_("Wanneer"), m["at"], always=True)
        block.add(_("Van"), m["from"])
        block.add(_("Naar"), m["to"])
        block.add(_("Waarom"), m["reason"])
        section.blocks.append(block)
    return [section]


ATTENDANCE = {"present": _l("aanwezig"), "excused": _l("afgemeld"), "absent": _l("afwezig")}
APPOINTMENT_STATUS = {"planned": _l("gepland"), "held": _l("gehouden"),
                      "no_show": _l("niet gekomen"), "cancelled": _l("afgezegd"),
                      "moved": _l("verzet")}


def _slot(code: str) -> str:
    day, _sep, part = code.partition("-")
    return f"{_label(choices.WEEKDAYS, day)} {_label(choices.DAYPARTS, part).lower()}".strip()


def _day(value) -> str:
    return current_app.jinja_env.filters["day"](value)


def display(value) -> str:
    """A fact as the reader sees it: Dutch dates by the template filters."""
    filters = current_app.jinja_env.filters
    if isinstance(value, datetime):
        return filters["moment"](value)
    if isinstance(value, date):
        return filters["day"](value)
    return "" if value is None else str(value)


# --- The PDF -------------------------------------------------------------------------------

def pdf(data: dict) -> bytes:
    """The same document as the print view, on A4, in DejaVu Sans (names in any script)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    from app.messaging.cards import _static

    doc = FPDF(orientation="portrait", unit="mm", format="A4")
    doc.set_auto_page_break(auto=True, margin=15)
    doc.add_font("DejaVu", "", str(_static("fonts", "DejaVuSans.ttf")))
    doc.add_font("DejaVu", "B", str(_static("fonts", "DejaVuSans-Bold.ttf")))
    name = f"{data['person']['first_name']} {data['person']['last_name'] or ''}".strip()
    doc.set_title(_("Inzage: %(name)s", name=name))
    doc.add_page()
    width = doc.w - doc.l_margin - doc.r_margin

    def text(value: str, size: int = 10, style: str = "", height: float = 5) -> None:
        doc.set_font("DejaVu", style, size)
        doc.set_x(doc.l_margin)
        doc.multi_cell(width, height, value, align="L")

    text(_("Wat het Taalhuis over u weet"), 18, "B", 9)
    text(name, 14, "B", 7)
    text(_("Gemaakt op %(moment)s door %(name)s.", moment=display(data["made_at"]),
           name=data["made_by"]["name"] or ""))
    if not data["complete"]:
        text(incomplete_note())
    for section in sections(data):
        doc.ln(4)
        text(section.title, 14, "B", 7)
        if section.intro:
            text(section.intro)
        if section.table is not None:
            headings, rows = section.table
            if not rows:
                text(section.empty or "")
                continue
            doc.set_font("DejaVu", "", 8)
            with doc.table(col_widths=(28, 32, 22, 98), text_align="LEFT", line_height=4,
                           headings_style=FontFace(emphasis="BOLD")) as table:
                table.row(headings)
                for row in rows:
                    table.row([display(cell) for cell in row])
            continue
        if not section.blocks and section.empty:
            text(section.empty)
        for block in section.blocks:
            if block.heading:
                doc.ln(1)
                text(block.heading, 11, "B", 6)
            for label, value in block.facts:
                text(f"{label}: {display(value)}")
    return bytes(doc.output())


def incomplete_note() -> str:
    return _("Deze persoon heeft ook een traject bij een locatie die u niet mag zien. Vraag "
             "een beheerder om de volledige inzage.")


# --- The routes ------------------------------------------------------------------------------

def _filename(participant: Participant, extension: str) -> str:
    return f"inzage-deelnemer-{participant.id}.{extension}"


def _made(participant: Participant, form: str) -> dict:
    now = utcnow()
    data = collect(participant, current_user, now)
    audit.record(current_user, "export", "inzage", participant.id,
                 participant_id=participant.id, summary=form, now=now)
    db.session.commit()
    return data


@bp.get("/deelnemers/<int:participant_id>/inzage")
@require("privacy.inzage")
def inzage(participant_id: int):
    participant = get_participant_or_404(current_user, participant_id)
    data = _made(participant, "om te printen")
    return render_template("privacy/inzage.html", participant=participant, data=data,
                           sections=sections(data), display=display, incomplete=incomplete_note())


@bp.get("/deelnemers/<int:participant_id>/inzage.pdf")
@require("privacy.inzage")
def inzage_pdf(participant_id: int):
    participant = get_participant_or_404(current_user, participant_id)
    body = pdf(_made(participant, "als PDF"))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{_filename(participant, "pdf")}"'})


@bp.get("/deelnemers/<int:participant_id>/inzage.json")
@require("privacy.inzage")
def inzage_json(participant_id: int):
    participant = get_participant_or_404(current_user, participant_id)
    body = to_json(_made(participant, "als JSON-bestand"))
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{_filename(participant, "json")}"'})


@bp.get("/deelnemers/<int:participant_id>/wie-keek-er")
@require("privacy.who_looked")
def who_looked(participant_id: int):
    """Every view and change of this person's data, newest first. Served by
    ix_audit_events_participant_at (participant_id, at, id): one page at any history."""
    participant = get_participant_or_404(current_user, participant_id)
    query = (sa.select(AuditEvent).where(AuditEvent.participant_id == participant.id)
             .options(joinedload(AuditEvent.user).lazyload(User.locations))
             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    page = db.paginate(query, per_page=WHO_LOOKED_PER_PAGE, error_out=False)
    audit.record(current_user, "view", "audit_trail", participant.id,
                 participant_id=participant.id,
                 summary=f"pagina {request.args.get('page', 1, type=int)}")
    html = render_template("privacy/who_looked.html", participant=participant, page=page,
                           event_text=labels.event_text, names=names_for(page.items),
                           back=url_for("participants.show", participant_id=participant.id))
    db.session.commit()
    return html
