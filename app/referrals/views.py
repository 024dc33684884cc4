import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from app.admin.service import reference_choices
from app.appointments.models import Appointment
from app.appointments.service import last_intake, planned_intake
from app.audit import service as audit
from app.auth.models import User
from app.auth.permissions import (
    allowed_locations,
    appointment_hosts,
    get_editable_trajectory_or_404,
    get_unrestricted_participant_or_404,
    posted_ids_or_404,
    require,
    visible_participants,
    visible_trajectories,
)
from app.core import choices
from app.core.followup import thresholds
from app.core.forms import select_choices
from app.core.timeutil import local_date, local_datetime, to_utc, utcnow
from app.extensions import db
from app.participants.models import Participant, Trajectory, TrajectoryStatus
from app.participants.service import newest_visible_trajectories
from app.partners.models import Partner
from app.referrals import bp
from app.referrals.forms import (
    AttachForm,
    ContactAttemptForm,
    PlanIntakeForm,
    ReferralForm,
)
from app.referrals.models import ContactAttempt, Referral, ReferralResult
from app.referrals.service import (
    KNOWN_ELSEWHERE,
    KNOWN_HERE,
    MergeError,
    OpenTrajectoryError,
    PersonInput,
    ReferralError,
    ReferralInput,
    add_referral_to_trajectory,
    attach_to_known_person,
    duplicate_hints,
    failed_attempts_since_success,
    find_possible_duplicates,
    hidden_duplicate_exists,
    log_contact_attempt,
    mask_phone,
    plan_intake,
    register_referral,
)


def participant_url(participant_id: int) -> str:
    return url_for("participants.show", participant_id=participant_id)


# ---- Registering a referral -------------------------------------------------------------

def _fill_referral_choices(form: ReferralForm, locations) -> None:
    form.location_id.choices = select_choices((loc.id, loc.name) for loc in locations)
    partners = db.session.scalars(
        sa.select(Partner).where(Partner.active.is_(True))
        .options(selectinload(Partner.contacts)).order_by(Partner.name)
    ).all()
    form.partner_id.choices = select_choices(
        [(0, _("Geen verwijzer (zelfmelder of aan de balie)"))] + [(p.id, p.name) for p in partners]
    )
    # Grouped per partner, so the list works without JavaScript; the form checks the pair.
    contacts = select_choices([(0, _("Niet in de lijst of onbekend"))])
    form.contact_partner = {}
    for p in partners:
        active = [c for c in p.contacts if c.active]
        contacts += select_choices(
            ((c.id, f"{c.name} ({c.role})" if c.role else c.name) for c in active),
            optgroup=p.name)
        form.contact_partner.update({c.id: p.id for c in active})
    form.partner_contact_id.choices = contacts
    form.found_via.choices = select_choices(
        [("", _("Niet gevraagd of onbekend"))] + reference_choices("found_via"))


def _inputs(form: ReferralForm) -> tuple[PersonInput, ReferralInput]:
    person = PersonInput(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        phone=form.phone.data or None,
        email=form.email.data or None,
        preferred_channel=form.preferred_channel.data,
        birth_year=int(form.birth_year.data) if form.birth_year.data else None,
        language_background=form.language_background.data,
        native_language=form.native_language.data or None,
        other_languages=form.other_languages.data or None,
        found_via=form.found_via.data or None,
    )
    referral = ReferralInput(
        location_id=form.location_id.data,
        question=form.question.data,
        channel=form.channel.data,
        referred_on=form.referred_on.data,
        share_with_referrer=form.share_with_referrer.data == "yes",
        messages_consent={"yes": True, "no": False}.get(form.messages_consent.data),
        consent_method=form.consent_method.data,
        partner_id=form.partner_id.data or None,
        partner_contact_id=form.partner_contact_id.data or None,
        referrer_name=form.referrer_name.data or None,
        referrer_phone=form.referrer_phone.data or None,
        referrer_email=form.referrer_email.data or None,
        best_moment=form.best_moment.data or None,
    )
    return person, referral


def _saved_from(form_key: str | None) -> Referral | None:
    """The referral this user already saved from the form with `form_key`."""
    if not form_key:
        return None
    return db.session.scalar(sa.select(Referral).where(Referral.form_key == form_key,
                                                       Referral.created_by_id == current_user.id))


def _saved_referral(referral: Referral):
    if not referral.is_primary:
        flash(_("De aanmelding is toegevoegd aan het open traject van %(name)s.",
                name=referral.trajectory.participant.full_name), "success")
        return redirect(participant_url(referral.trajectory.participant_id))
    flash(_("De aanmelding van %(name)s is opgeslagen. Neem uiterlijk %(due)s contact op.",
            name=referral.trajectory.participant.full_name,
            due=format_date(referral.first_contact_due, "EEEE d MMMM")), "success")
    return redirect(participant_url(referral.trajectory.participant_id))


@bp.route("/nieuw", methods=["GET", "POST"])
@require("referrals.create")
def new():
    now = utcnow()
    locations = allowed_locations(current_user)
    form = ReferralForm()
    form.today = local_date(now)
    _fill_referral_choices(form, locations)
    if request.method == "GET":
        form.referred_on.data = form.today
        form.form_key.data = secrets.token_urlsafe(24)
        if len(locations) == 1:
            form.location_id.data = locations[0].id

    duplicates: list[Participant] = []
    refused = None
    existing = None
    decision = request.form.get("decision") or ""
    if request.method == "POST":
        posted_ids_or_404([request.form.get("location_id")], [loc.id for loc in locations])
    if request.method == "POST" and decision.startswith("attach:"):
        # A person this user may not see answers 404 before the rest of the form is checked.
        person_id = decision.removeprefix("attach:")
        if not person_id.isdigit():
            abort(404)
        existing = get_unrestricted_participant_or_404(current_user, int(person_id))
    open_trajectory = None
    if request.method == "POST" and decision.startswith("add_to:"):
        # A second referrer for someone with an open trajectory here: recorded on that one.
        trajectory_id = decision.removeprefix("add_to:")
        if not trajectory_id.isdigit():
            abort(404)
        open_trajectory = get_editable_trajectory_or_404(current_user, int(trajectory_id))
    valid = form.validate_on_submit()
    if valid and (earlier := _saved_from(form.form_key.data)):
        # The same form again (a double click, or back and send): what the first one made.
        return _saved_referral(earlier)
    if valid and open_trajectory is not None:
        person, referral = _inputs(form)
        try:
            added = add_referral_to_trajectory(open_trajectory, person=person,
                                               referral=referral, user=current_user, now=now)
            added.form_key = form.form_key.data or None
            db.session.commit()
        except ReferralError as error:
            db.session.rollback()
            flash(str(error), "error")
        except sa.exc.IntegrityError:
            db.session.rollback()
            earlier = _saved_from(form.form_key.data)
            if earlier is not None:
                return _saved_referral(earlier)
            form.form_key.data = secrets.token_urlsafe(24)
            flash(_("Dit formulier kon niet worden opgeslagen. Kijk de gegevens na en "
                    "verstuur het opnieuw."), "error")
        else:
            return _saved_referral(added)
    elif valid:
        person, referral = _inputs(form)
        if existing is None and decision != "new":
            duplicates = find_possible_duplicates(
                visible_participants(current_user), person.first_name, person.last_name,
                person.phone, person.birth_year)
            if duplicates and (earlier := _saved_from(form.form_key.data)):
                # The other post of a double click was saved while this one searched: the
                # "possible duplicate" it found is the person that post just registered.
                return _saved_referral(earlier)
        if not duplicates:
            try:
                trajectory = register_referral(person=person, referral=referral,
                                               user=current_user, now=now,
                                               existing_participant=existing)
            except OpenTrajectoryError as error:
                db.session.rollback()
                refused = error.trajectory
                duplicates = find_possible_duplicates(
                    visible_participants(current_user), person.first_name, person.last_name,
                    person.phone, person.birth_year)
                if refused.participant not in duplicates:
                    duplicates.insert(0, refused.participant)
            else:
                trajectory.referral.form_key = form.form_key.data or None
                try:
                    db.session.commit()
                except sa.exc.IntegrityError:
                    # Both posts of a double click at once: the other one saved first.
                    db.session.rollback()
                    earlier = _saved_from(form.form_key.data)
                    if earlier is not None:
                        return _saved_referral(earlier)
                    # Only a tampered form carries the key of another user's referral: a new
                    # key, and the form again with what was typed.
                    form.form_key.data = secrets.token_urlsafe(24)
                    flash(_("Dit formulier kon niet worden opgeslagen. Kijk de gegevens na en "
                            "verstuur het opnieuw."), "error")
                else:
                    return _saved_referral(trajectory.referral)
        # Showing possible matches shows other people's data: that is a view to log.
        for match in duplicates:
            audit.record(current_user, "view", "participant", match.id,
                         participant_id=match.id, summary="getoond als mogelijke dubbele",
                         now=now)
        db.session.commit()

    open_here = {}
    if duplicates and form.location_id.data:
        for match in duplicates:
            open_here[match.id] = next(
                (t for t in match.trajectories
                 if t.is_open and t.location_id == form.location_id.data), None)
    return render_template("referrals/new.html", form=form, locations=locations,
                           duplicates=duplicates, refused=refused, open_here=open_here,
                           add_to_open=True,
                           latest_of=newest_visible_trajectories(duplicates, current_user),
                           mask_phone=mask_phone, participant_url=participant_url)


# ---- The work queue ----------------------------------------------------------------------

QUEUE_TABS = {
    "nieuw": (TrajectoryStatus.REFERRED, _l("Nog bellen")),
    "contact": (TrajectoryStatus.CONTACTED, _l("Contact gehad, nog geen intake gepland")),
    "niet-bereikt": (TrajectoryStatus.UNREACHABLE, _l("Niet bereikt")),
}


@bp.get("/")
@require("referrals.contact")
def queue():
    now = utcnow()
    tab = request.args.get("lijst", "nieuw")
    if tab not in QUEUE_TABS:
        tab = "nieuw"
    status = QUEUE_TABS[tab][0]

    # Logged and committed first: a commit after loading would expire every row shown
    # (the locations too: each was then read again, one query per location).
    audit.record(current_user, "view", "referral_queue", None,
                 summary=f"lijst {tab}, pagina {request.args.get('page', 1, type=int)}",
                 now=now)
    db.session.commit()
    locations = allowed_locations(current_user)
    location_id = request.args.get("locatie", type=int)
    if location_id not in {loc.id for loc in locations}:
        location_id = None

    scope = visible_trajectories(current_user)
    if location_id:
        scope = scope.where(Trajectory.location_id == location_id)
    counts = dict(db.session.execute(
        scope.with_only_columns(Trajectory.status, sa.func.count(Trajectory.id))
        .where(Trajectory.status.in_([s for s, _label in QUEUE_TABS.values()]))
        .group_by(Trajectory.status)
    ).all())

    order = {
        TrajectoryStatus.REFERRED: (Referral.first_contact_due.asc().nulls_last(),
                                    Trajectory.referred_on),
        # Longest since the conversation first: they wait for an intake date.
        TrajectoryStatus.CONTACTED: (Referral.result_on.asc().nulls_last(),),
        TrajectoryStatus.UNREACHABLE: (Referral.result_on.asc().nulls_last(),),
    }[status]
    rows = (
        scope.where(Trajectory.status == status)
        .outerjoin(Referral, sa.and_(Referral.trajectory_id == Trajectory.id,
                                     Referral.is_primary))
    )
    # The page's ids first, sorting only the sort keys of the thousands waiting in a
    # region, then those 25 with everything the page shows. The tab's count above is the
    # number of rows (one primary referral per trajectory): no second count over the join.
    page = db.paginate(rows.with_only_columns(Trajectory.id).order_by(*order, Trajectory.id),
                       per_page=current_app.config["PER_PAGE"], error_out=False, count=False)
    page.total = counts.get(status, 0)
    loaded = {t.id: t for t in db.session.scalars(
        rows.where(Trajectory.id.in_(page.items or [-1]))
        .options(
            joinedload(Trajectory.participant),
            joinedload(Trajectory.location),
            contains_eager(Trajectory.referral).joinedload(Referral.partner),
            selectinload(Trajectory.contact_attempts),
        )
    ).unique()}
    page.items = [loaded[i] for i in page.items if i in loaded]
    # Portal, API and self-registration never say whether a person is known: staff see it
    # here. One query for the whole page.
    hints = duplicate_hints(current_user, [t.participant_id for t in page.items])
    return render_template("referrals/queue.html", page=page, tab=tab, tabs=QUEUE_TABS,
                           counts=counts, locations=locations, location_id=location_id,
                           today=local_date(now), participant_url=participant_url,
                           hints=hints, known_here=KNOWN_HERE,
                           known_elsewhere=KNOWN_ELSEWHERE)


# ---- A person registered twice -----------------------------------------------------------

@bp.route("/<int:trajectory_id>/bekend", methods=["GET", "POST"], endpoint="known")
@require("participants.edit")
def known_person(trajectory_id: int):
    """Possible earlier records of the person of this trajectory; attach it to one of them."""
    now = utcnow()
    trajectory = get_editable_trajectory_or_404(current_user, trajectory_id)
    participant = trajectory.participant

    def search():
        return find_possible_duplicates(
            visible_participants(current_user), participant.first_name,
            participant.last_name, participant.phone, participant.birth_year,
            exclude_id=participant.id)

    matches = search()
    form = AttachForm()
    refusal = None
    if request.method == "POST":
        # Only one of the people offered here: an edited id is someone else's record.
        posted_ids_or_404([request.form.get("participant_id") or "x"], [m.id for m in matches])
    if form.validate_on_submit():
        chosen = int(form.participant_id.data)
        known = next(m for m in matches if m.id == chosen)
        name = known.full_name
        folded = any(t.is_open and t.location_id == trajectory.location_id
                     for t in known.trajectories)
        try:
            attach_to_known_person(trajectory, known, user=current_user, now=now)
        except MergeError as error:
            db.session.rollback()
            refusal = error.message
            matches = search()
        else:
            db.session.commit()
            if folded:
                flash(_("De aanmelding staat nu als tweede aanmelding bij het open traject van "
                        "%(name)s. De dubbele inschrijving is verwijderd.", name=name),
                      "success")
                return redirect(participant_url(known.id))
            flash(_("De aanmelding hoort nu bij %(name)s. De dubbele inschrijving is "
                    "verwijderd.", name=name), "success")
            return redirect(url_for("referrals.queue"))

    elsewhere = not matches and hidden_duplicate_exists(
        current_user, participant.first_name, participant.last_name, participant.phone,
        participant.birth_year, exclude_id=participant.id)
    open_here = {m.id: next((t for t in m.trajectories
                             if t.is_open and t.location_id == trajectory.location_id),
                            None)
                 for m in matches}
    # Showing possible matches shows other people's data: that is a view to log.
    audit.record(current_user, "view", "trajectory", trajectory.id,
                 participant_id=participant.id, summary="mogelijk al bekend", now=now)
    for match in matches:
        audit.record(current_user, "view", "participant", match.id, participant_id=match.id,
                     summary="getoond als mogelijke dubbele", now=now)
    db.session.commit()
    return render_template("referrals/known.html", trajectory=trajectory,
                           participant=participant, referral=trajectory.referral,
                           matches=matches, open_here=open_here, add_to_open="participant",
                           latest_of=newest_visible_trajectories(matches, current_user),
                           elsewhere=elsewhere, refusal=refusal, form=form,
                           mask_phone=mask_phone, participant_url=participant_url)


# ---- First contact -----------------------------------------------------------------------

@bp.route("/<int:trajectory_id>/contact", methods=["GET", "POST"])
@require("referrals.contact")
def contact(trajectory_id: int):
    now = utcnow()
    trajectory = get_editable_trajectory_or_404(current_user, trajectory_id)
    participant = trajectory.participant
    form = ContactAttemptForm()
    if request.method == "GET" and participant.preferred_channel in choices.CONTACT_CHANNEL:
        form.channel.data = participant.preferred_channel
    can_log = trajectory.before_intake
    max_attempts = thresholds().max_contact_attempts

    if request.method == "POST" and not can_log:
        flash(_("Dit traject is al verder of afgesloten. Contact vastleggen kan hier niet "
                "meer."), "warning")
        return redirect(url_for("referrals.contact", trajectory_id=trajectory.id))
    if form.validate_on_submit():
        result = form.result.data
        outcome = result if result in ReferralResult.ENDING else None
        note = form.note.data or None
        if outcome == ReferralResult.FORWARDED:
            note = _("Doorverwezen naar: %(to)s", to=form.forwarded_to.data) + (
                f"\n{note}" if note else "")
        was_referred = trajectory.status == TrajectoryStatus.REFERRED
        log_contact_attempt(trajectory, reached=result != ReferralResult.NOT_REACHED,
                            channel=form.channel.data, note=note, user=current_user,
                            now=now, outcome=outcome)
        db.session.commit()
        name = participant.full_name
        if outcome is not None:
            flash(_("Vastgelegd. Het traject van %(name)s is afgesloten.", name=name), "success")
            return redirect(participant_url(participant.id))
        if result == ReferralResult.REACHED:
            if trajectory.status == TrajectoryStatus.CONTACTED:
                flash(_("Contact met %(name)s vastgelegd. Plan nu de intake.", name=name),
                      "success")
                return redirect(url_for("referrals.plan_intake", trajectory_id=trajectory.id))
            flash(_("Contact met %(name)s vastgelegd.", name=name), "success")
            return redirect(url_for("referrals.queue"))
        if was_referred and trajectory.status == TrajectoryStatus.UNREACHABLE:
            flash(_("%(name)s is %(n)s keer niet bereikt en staat nu bij 'Niet bereikt'.",
                    name=name, n=max_attempts), "warning")
        elif trajectory.status == TrajectoryStatus.REFERRED:
            flash(_("Niet bereikt vastgelegd (poging %(n)s van %(max)s). Probeer het later "
                    "nog eens.", n=failed_attempts_since_success(trajectory),
                    max=max_attempts), "info")
        else:
            flash(_("Niet bereikt vastgelegd."), "info")
        return redirect(url_for("referrals.queue"))

    if request.method == "GET":
        audit.record(current_user, "view", "trajectory", trajectory.id,
                     participant_id=participant.id, summary="pagina eerste contact", now=now)
        db.session.commit()
    # The attempts and who made each, in one query (the list names them).
    db.session.scalars(
        sa.select(Trajectory).where(Trajectory.id == trajectory.id)
        .options(selectinload(Trajectory.contact_attempts).joinedload(ContactAttempt.by)
                 .lazyload(User.locations))).one()
    return render_template("referrals/contact.html", form=form, trajectory=trajectory,
                           participant=participant, referral=trajectory.referral,
                           can_log=can_log, max_attempts=max_attempts,
                           failed=failed_attempts_since_success(trajectory),
                           participant_url=participant_url)


# ---- Planning the intake -----------------------------------------------------------------

def _fill_intake_choices(form: PlanIntakeForm, trajectory: Trajectory) -> dict:
    """Places and people to choose from: the user's locations (and the trajectory's own),
    and their staff and coordinators. Returns {user id: User}."""
    locations = list(allowed_locations(current_user))
    if trajectory.location_id not in {loc.id for loc in locations}:
        locations.insert(0, trajectory.location)
    form.location_id.choices = select_choices((loc.id, loc.name) for loc in locations)
    hosts = appointment_hosts([loc.id for loc in locations])
    names = {loc.id: loc.name for loc in locations}
    people: dict[int, object] = {}
    where: dict[int, list[str]] = {}
    for location_id, users in hosts.items():
        for user in users:
            people[user.id] = user
            where.setdefault(user.id, []).append(names[location_id])
    form.with_user_id.choices = select_choices(
        [(0, _("Kies wie de intake doet"))]
        + [(u.id, f"{u.name} ({', '.join(sorted(where[u.id]))})")
           for u in sorted(people.values(), key=lambda u: (u.name, u.id))])
    form.hosts = {location_id: {u.id for u in users} for location_id, users in hosts.items()}
    return people


def _planned_intake(appointment: Appointment):
    trajectory = appointment.trajectory
    flash(_("Intake met %(name)s gepland op %(moment)s, %(place)s, met %(who)s.",
            name=trajectory.participant.full_name,
            moment=format_datetime(appointment.starts_at, "EEEE d MMMM 'om' HH:mm"),
            place=appointment.place, who=appointment.with_user.name), "success")
    return redirect(url_for("referrals.queue"))


def _saved_intake(form_key: str | None) -> Appointment | None:
    if not form_key:
        return None
    return db.session.scalar(sa.select(Appointment).where(
        Appointment.form_key == form_key, Appointment.planned_by_id == current_user.id))


@bp.route("/<int:trajectory_id>/intake", methods=["GET", "POST"], endpoint="plan_intake")
@require("referrals.contact")
def plan_intake_view(trajectory_id: int):
    now = utcnow()
    trajectory = get_editable_trajectory_or_404(current_user, trajectory_id)
    can_plan = trajectory.before_intake
    form = PlanIntakeForm()
    people = _fill_intake_choices(form, trajectory)
    current = planned_intake(trajectory)
    if request.method == "GET":
        form.form_key.data = secrets.token_urlsafe(24)
        # Moving: what is planned; planning again after "niet gekomen": the same place and
        # person, a week later at the same time.
        earlier = current or last_intake(trajectory)
        if current is not None or trajectory.intake_planned_at:
            planned = local_datetime(current.starts_at if current else
                                     trajectory.intake_planned_at)
            form.day.data, form.time.data = planned.date(), planned.time()
        elif earlier is not None:
            planned = local_datetime(earlier.starts_at)
            form.time.data = planned.time()
            day = planned.date() + timedelta(days=7)
            while day <= local_date(now):
                day += timedelta(days=7)
            form.day.data = day
        if earlier is not None:
            form.location_id.data, form.room.data = earlier.location_id, earlier.room
            form.with_user_id.data = earlier.with_user_id
        else:
            form.location_id.data = trajectory.location_id
            if current_user.id in form.hosts.get(trajectory.location_id, set()):
                form.with_user_id.data = current_user.id

    if request.method == "POST" and not can_plan:
        flash(_("Voor dit traject kunt u geen intake meer plannen."), "warning")
        return redirect(url_for("referrals.plan_intake", trajectory_id=trajectory.id))
    valid = form.validate_on_submit()
    if valid and (earlier := _saved_intake(form.form_key.data)):
        # The same form again (a double click): the appointment the first one made.
        return _planned_intake(earlier)
    if valid:
        at = to_utc(form.day.data, form.time.data.hour, form.time.data.minute)
        if at <= now:
            form.day.errors.append(_("Dit moment is al voorbij. Kies een datum en tijd in de "
                                     "toekomst."))
        elif not form.with_user_id.data:
            form.with_user_id.errors.append(_("Kies wie de intake doet."))
        else:
            try:
                appointment = plan_intake(
                    trajectory, at, current_user, now, location_id=form.location_id.data,
                    room=form.room.data, with_user=people[form.with_user_id.data],
                    form_key=form.form_key.data)
                db.session.commit()
            except ReferralError:  # pragma: no cover (status and person were checked above)
                abort(409)
            except sa.exc.IntegrityError:
                # Both posts of a double click at once, or a colleague planned it meanwhile.
                db.session.rollback()
                earlier = _saved_intake(form.form_key.data)
                if earlier is not None:
                    return _planned_intake(earlier)
                form.form_key.data = secrets.token_urlsafe(24)
                flash(_("Iemand anders heeft deze intake net gepland. Bekijk de planning en "
                        "verstuur het opnieuw als het nog nodig is."), "error")
            else:
                return _planned_intake(appointment)

    if request.method == "GET":
        audit.record(current_user, "view", "trajectory", trajectory.id,
                     participant_id=trajectory.participant_id, summary="intake plannen",
                     now=now)
        db.session.commit()
    return render_template("referrals/plan_intake.html", form=form, trajectory=trajectory,
                           participant=trajectory.participant, referral=trajectory.referral,
                           can_plan=can_plan, current=planned_intake(trajectory),
                           participant_url=participant_url)
