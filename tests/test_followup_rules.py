"""Follow-up rules: each default rule plans the right check-in, and an admin can change them."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.checkins import service
from app.checkins.models import CheckIn, FollowUpRule
from app.core.events import emit
from app.extensions import db as _db
from app.matching.models import Match
from app.volunteers.models import Volunteer

from . import factories
from .factories import aware

NOW = aware(2026, 11, 23, 9, 0)  # Monday 23 November 2026, 10:00 in Amsterdam

def checkins_of(trajectory, **filters) -> list[CheckIn]:
    query = sa.select(CheckIn).where(CheckIn.trajectory_id == trajectory.id)
    for name, value in filters.items():
        query = query.where(getattr(CheckIn, name) == value)
    return list(_db.session.scalars(query.order_by(CheckIn.due_on, CheckIn.id)))


def planned(trajectory, **filters) -> list[CheckIn]:
    return checkins_of(trajectory, status="planned", **filters)


def a_match(trajectory, *, volunteer_user=None, started_on=date(2026, 11, 23),
            status="active") -> Match:
    volunteer = Volunteer(first_name="Kees", last_name="Jansen", user=volunteer_user)
    match = Match(trajectory=trajectory, volunteer=volunteer, status=status,
                  proposed_on=started_on, started_on=started_on)
    _db.session.add_all([volunteer, match])
    _db.session.flush()
    return match


def coordinator_and_trajectory(status="referred", **kwargs):
    loc = factories.location()
    owner = factories.user("coordinator", locations=[loc])
    trajectory = factories.trajectory(location_obj=loc, owner=owner, status=status, **kwargs)
    return owner, trajectory


def test_default_rules_are_installed_by_the_migration(db):
    codes = set(db.session.scalars(sa.select(FollowUpRule.code)))
    assert {"first_contact", "waiting", "match_2w_owner", "match_2w_volunteer",
            "match_6w_owner", "match_3m_owner", "match_3m_volunteer", "match_end",
            "goal_evaluation", "aftercare"} <= codes


def test_first_contact_due_in_five_working_days_skipping_christmas(db):
    # Wednesday 23 December: Christmas (Friday 25th) and the weekend do not count.
    owner, trajectory = coordinator_and_trajectory(referred_on=date(2026, 12, 23))
    emit("referral_registered", trajectory, aware(2026, 12, 23, 10, 0))
    [checkin] = planned(trajectory)
    assert checkin.kind == "first_contact"
    assert checkin.due_on == date(2026, 12, 31)
    assert checkin.assignee_id == owner.id


def test_first_contact_without_owner_is_unassigned_and_done_when_contact_is_made(db):
    trajectory = factories.trajectory(referred_on=date(2026, 11, 16))
    emit("referral_registered", trajectory, NOW)
    [checkin] = planned(trajectory)
    assert checkin.assignee_id is None
    assert checkin.due_on == date(2026, 11, 23)

    emit("contact_made", trajectory, NOW + timedelta(hours=1))
    assert checkin.status == "done"
    assert planned(trajectory) == []


def test_referral_flow_plans_and_closes_the_first_contact(db):
    from app.referrals.service import (
        PersonInput,
        ReferralInput,
        log_contact_attempt,
        register_referral,
    )

    loc = factories.location()
    coordinator = factories.user("coordinator", locations=[loc])
    trajectory = register_referral(
        person=PersonInput(first_name="Amina", last_name="Bakri", phone="0612345678"),
        referral=ReferralInput(location_id=loc.id, question="Brieven lezen", channel="phone",
                               referred_on=date(2026, 11, 23), share_with_referrer=False,
                               consent_method="verbal"),
        user=coordinator, now=NOW,
    )
    [checkin] = planned(trajectory)
    assert (checkin.kind, checkin.assignee_id) == ("first_contact", coordinator.id)
    assert checkin.due_on == trajectory.referral.first_contact_due == date(2026, 11, 30)

    log_contact_attempt(trajectory, reached=True, channel="phone", note=None,
                        user=coordinator, now=NOW + timedelta(days=1))
    assert checkin.status == "done"


def test_an_event_that_comes_twice_plans_once(db):
    _, trajectory = coordinator_and_trajectory()
    emit("referral_registered", trajectory, NOW)
    emit("referral_registered", trajectory, NOW)
    assert len(planned(trajectory)) == 1


def test_intake_plans_a_waiting_checkin_every_14_days_while_waiting(db):
    owner, trajectory = coordinator_and_trajectory(status="waiting",
                                                   waiting_since=date(2026, 11, 20))
    emit("referral_registered", trajectory, NOW)
    # As the intake service does: the intake, then the wait for an offer begins.
    emit("intake_done", trajectory, NOW)
    emit("waiting", trajectory, NOW)
    # The intake was a conversation: the first contact is done too.
    assert [c.kind for c in planned(trajectory)] == ["waiting"]
    [waiting] = planned(trajectory)
    assert waiting.due_on == date(2026, 12, 4)

    # Done three days late: the next one counts from the day it was done.
    next_checkin = service.complete_checkin(waiting, outcome="going_well", note=None,
                                            user=owner, now=aware(2026, 12, 7, 10, 0))
    assert next_checkin.due_on == date(2026, 12, 21)
    assert next_checkin.kind == "waiting" and next_checkin.assignee_id == owner.id


def test_waiting_checkins_stop_when_a_match_starts(db):
    owner, trajectory = coordinator_and_trajectory(status="waiting",
                                                   waiting_since=date(2026, 11, 9))
    emit("waiting", trajectory, NOW)
    [waiting] = planned(trajectory)
    trajectory.status = "active"
    emit("match_started", trajectory, NOW, match=a_match(trajectory))
    assert waiting.status == "cancelled"
    assert all(c.kind.startswith("match_") for c in planned(trajectory))


def test_completing_a_waiting_checkin_after_the_person_got_an_offer_plans_no_next(db):
    owner, trajectory = coordinator_and_trajectory(status="waiting",
                                                   waiting_since=date(2026, 11, 9))
    emit("waiting", trajectory, NOW)
    [waiting] = planned(trajectory)
    trajectory.status = "active"  # e.g. enrolled in a group offer in the meantime
    assert service.complete_checkin(waiting, outcome="going_well", note="", user=owner,
                                    now=NOW) is None
    assert planned(trajectory) == []


def test_enrolment_in_a_group_cancels_waiting_checkins(db):
    owner, trajectory = coordinator_and_trajectory(status="waiting",
                                                   waiting_since=date(2026, 11, 9))
    emit("waiting", trajectory, NOW)
    emit("enrolled", trajectory, NOW)
    assert planned(trajectory) == []
    assert [c.status for c in checkins_of(trajectory)] == ["cancelled"]


def test_match_start_plans_checkins_for_owner_and_volunteer(db):
    owner, trajectory = coordinator_and_trajectory(status="active")
    volunteer_user = factories.user("volunteer")
    match = a_match(trajectory, volunteer_user=volunteer_user, started_on=date(2026, 11, 23))
    emit("match_started", trajectory, NOW, match=match)

    def dues(user):
        return [(c.kind, c.due_on) for c in planned(trajectory, assignee_id=user.id)]

    expected = [("match_2w", date(2026, 12, 7)), ("match_6w", date(2027, 1, 4)),
                ("match_3m", date(2027, 2, 22))]
    assert dues(owner) == expected
    assert dues(volunteer_user) == expected
    assert {c.match_id for c in planned(trajectory)} == {match.id}


def test_volunteer_without_an_account_gets_no_task(db):
    owner, trajectory = coordinator_and_trajectory(status="active")
    emit("match_started", trajectory, NOW, match=a_match(trajectory, volunteer_user=None))
    assert {c.assignee_id for c in planned(trajectory)} == {owner.id}
    assert len(planned(trajectory)) == 3


def test_three_monthly_match_checkin_repeats_every_91_days(db):
    owner, trajectory = coordinator_and_trajectory(status="active")
    match = a_match(trajectory)
    emit("match_started", trajectory, NOW, match=match)
    [quarterly] = planned(trajectory, kind="match_3m")
    next_checkin = service.complete_checkin(quarterly, outcome="going_well", note=None,
                                            user=owner, now=aware(2027, 2, 22, 10, 0))
    assert next_checkin.due_on == date(2027, 5, 24)
    assert next_checkin.match_id == match.id

    # Once-only moments do not repeat.
    [two_weeks] = planned(trajectory, kind="match_2w")
    assert service.complete_checkin(two_weeks, outcome="going_well", note=None, user=owner,
                                    now=NOW) is None


def test_pausing_a_match_cancels_its_checkins_but_keeps_them(db):
    owner, trajectory = coordinator_and_trajectory(status="active")
    match = a_match(trajectory, volunteer_user=factories.user("volunteer"))
    emit("match_started", trajectory, NOW, match=match)
    match.status = "paused"
    emit("match_paused", trajectory, NOW + timedelta(days=3), match=match)
    rows = checkins_of(trajectory)
    assert len(rows) == 6
    assert {c.status for c in rows} == {"cancelled"}

    # Resumed: the rhythm starts again from the day it restarts.
    match.status = "active"
    emit("match_started", trajectory, aware(2027, 1, 11, 9, 0), match=match, resumed=True)
    assert planned(trajectory, assignee_id=owner.id)[0].due_on == date(2027, 1, 25)


def test_match_end_plans_an_end_interview_and_cancels_the_rest(db):
    owner, trajectory = coordinator_and_trajectory(status="active")
    match = a_match(trajectory)
    emit("match_started", trajectory, NOW, match=match)
    match.status = "ended"
    emit("match_ended", trajectory, aware(2026, 12, 15, 10, 0), match=match)
    [interview] = planned(trajectory)
    assert (interview.kind, interview.due_on) == ("match_end", date(2026, 12, 15))
    assert interview.assignee_id == owner.id
    assert len(checkins_of(trajectory, status="cancelled")) == 3


def test_back_to_waiting_after_a_match_ends_plans_waiting_checkins_again(db):
    from app.matching.service import end_match

    owner, trajectory = coordinator_and_trajectory(status="active")
    match = a_match(trajectory)
    emit("match_started", trajectory, NOW, match=match)
    end_match(match, reason="klikte_niet", note=None, by=owner, now=aware(2026, 12, 15, 10, 0))
    assert trajectory.status == "waiting"
    assert sorted((c.kind, c.due_on) for c in planned(trajectory)) == [
        ("match_end", date(2026, 12, 15)), ("waiting", date(2026, 12, 29))]


def test_back_to_waiting_after_the_last_group_place_ends_plans_waiting_checkins(db):
    """Stopping with Klik & Tik puts the person back on the waiting list: never silent there."""
    from app.matching.service import end_enrollment, enroll

    owner, trajectory = coordinator_and_trajectory(status="waiting",
                                                   waiting_since=date(2026, 11, 9))
    emit("waiting", trajectory, NOW)
    enrollment = enroll(trajectory, factories.offer(trajectory.location),
                        start_on=date(2026, 11, 23), by=owner, now=NOW)
    assert [c.kind for c in planned(trajectory)] == ["group_fit"], \
        "active in a group: no waiting check-ins"

    end_enrollment(enrollment, by=owner, now=aware(2027, 1, 11, 10, 0))

    assert trajectory.status == "waiting" and trajectory.waiting_since == date(2027, 1, 11)
    [waiting] = planned(trajectory, kind="waiting")
    assert (waiting.kind, waiting.due_on, waiting.assignee_id) == (
        "waiting", date(2027, 1, 25), owner.id)


def test_the_default_waiting_rule_fires_on_the_waiting_event(db):
    rule = factories.followup_rule("waiting")
    assert rule.event == "waiting"
    _, trajectory = coordinator_and_trajectory(status="waiting",
                                               waiting_since=date(2026, 11, 20))
    emit("intake_done", trajectory, NOW)
    assert planned(trajectory) == [], "the intake itself plans no waiting check-in"
    emit("waiting", trajectory, NOW)
    assert [c.rule_id for c in planned(trajectory)] == [rule.id]


def test_goal_target_date_plans_an_evaluation_and_a_new_date_replaces_it(db):
    owner, trajectory = coordinator_and_trajectory(status="waiting")
    goal = factories.learning_goal(trajectory, target_date=date(2027, 3, 1))
    emit("goal_target_set", trajectory, NOW, goal=goal)
    [evaluation] = planned(trajectory)
    assert (evaluation.kind, evaluation.due_on, evaluation.goal_id) == (
        "goal_evaluation", date(2027, 3, 1), goal.id)

    goal.target_date = date(2027, 4, 12)
    emit("goal_target_set", trajectory, NOW, goal=goal)
    [evaluation] = planned(trajectory)
    assert evaluation.due_on == date(2027, 4, 12)
    assert len(checkins_of(trajectory)) == 1

    goal.target_date = None
    emit("goal_target_set", trajectory, NOW, goal=goal)
    assert planned(trajectory) == []


def test_ending_the_trajectory_cancels_open_checkins_and_plans_aftercare(db):
    owner, trajectory = coordinator_and_trajectory(status="active")
    match = a_match(trajectory)
    emit("match_started", trajectory, NOW, match=match)
    goal = factories.learning_goal(trajectory, target_date=date(2027, 3, 1))
    emit("goal_target_set", trajectory, NOW, goal=goal)
    match.status = "ended"
    end = aware(2026, 12, 15, 10, 0)
    emit("match_ended", trajectory, end, match=match)
    trajectory.status = "ended"
    trajectory.ended_on = date(2026, 12, 15)
    trajectory.out_of_view_since = aware(2026, 12, 1, 10, 0)
    emit("trajectory_ended", trajectory, end)

    # The end interview still happens; the evaluation lapses; after-care in 3 months.
    assert [(c.kind, c.due_on) for c in planned(trajectory)] == [
        ("match_end", date(2026, 12, 15)), ("aftercare", date(2027, 3, 16))]
    assert {c.kind for c in checkins_of(trajectory, status="cancelled")} == {
        "match_2w", "match_6w", "match_3m", "goal_evaluation"}
    assert trajectory.out_of_view_since is None


def test_inactive_rule_plans_nothing(db):
    factories.followup_rule("first_contact").active = False
    _, trajectory = coordinator_and_trajectory()
    emit("referral_registered", trajectory, NOW)
    assert planned(trajectory) == []


def test_admin_changes_a_rule_and_new_plans_follow_it(client, auth, db):
    auth.as_role("admin")
    page = client.get("/beheer/opvolgregels").get_data(as_text=True)
    assert "Eerste contact na de aanmelding" in page and "5 werkdagen" in page

    _, old = coordinator_and_trajectory(referred_on=date(2026, 11, 23))
    emit("referral_registered", old, NOW)
    db.session.commit()

    rule = factories.followup_rule("first_contact")
    response = client.post(f"/beheer/opvolgregels/{rule.id}", data={
        "name": "Binnen 3 dagen bellen", "offset": "3", "offset_unit": "days",
        "assignee": "owner", "repeat_every": "", "active": "y",
    })
    assert response.status_code == 302
    page = client.get("/beheer/opvolgregels").get_data(as_text=True)
    assert "Binnen 3 dagen bellen" in page and "3 dagen" in page

    _, new = coordinator_and_trajectory(referred_on=date(2026, 11, 23))
    emit("referral_registered", new, NOW)
    assert planned(new)[0].due_on == date(2026, 11, 26)
    # What was planned before the change stays as it was.
    assert planned(old)[0].due_on == date(2026, 11, 30)


def test_bad_rule_input_gets_a_dutch_message_and_saves_nothing(client, auth, db):
    auth.as_role("admin")
    rule = factories.followup_rule("waiting")
    response = client.post(f"/beheer/opvolgregels/{rule.id}", data={
        "name": "Wachten", "offset": "-4", "offset_unit": "days", "assignee": "owner",
        "repeat_every": "0", "active": "y",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kies een getal van 0 tot 730." in html
    assert "Kies een getal van 1 tot 365." in html
    assert 'value="Wachten"' in html
    db.session.expire_all()
    assert (rule.name, rule.offset, rule.repeat_every) == (
        "Wacht op aanbod: even bellen hoe het gaat", 14, 14)


def _new_rule(**overrides) -> dict:
    data = {"name": "Na de intake: leerdoelen nog eens doornemen", "event": "intake_done",
            "checkin_kind": "goal_evaluation", "offset": "10", "offset_unit": "working_days",
            "assignee": "owner", "repeat_every": "", "active": "y"}
    return data | overrides


def test_admin_adds_a_rule_and_it_plans_checkins_from_then_on(client, auth, db):
    auth.as_role("admin")
    page = client.get("/beheer/opvolgregels").get_data(as_text=True)
    assert 'href="/beheer/opvolgregels/nieuw"' in page
    form = client.get("/beheer/opvolgregels/nieuw").get_data(as_text=True)
    assert "Nieuwe opvolgregel" in form and "Wacht (weer) op een aanbod" in form

    response = client.post("/beheer/opvolgregels/nieuw", data=_new_rule())

    assert response.status_code == 302
    rule = db.session.scalar(sa.select(FollowUpRule).where(
        FollowUpRule.name == "Na de intake: leerdoelen nog eens doornemen"))
    assert (rule.event, rule.checkin_kind, rule.offset, rule.offset_unit, rule.assignee,
            rule.repeat_every, rule.active) == (
        "intake_done", "goal_evaluation", 10, "working_days", "owner", None, True)
    page = client.get("/beheer/opvolgregels").get_data(as_text=True)
    assert "Na de intake: leerdoelen nog eens doornemen" in page and "10 werkdagen" in page

    owner, trajectory = coordinator_and_trajectory(status="waiting",
                                                   waiting_since=date(2026, 11, 23))
    emit("intake_done", trajectory, NOW)
    [checkin] = planned(trajectory)
    assert (checkin.rule_id, checkin.kind, checkin.due_on, checkin.assignee_id) == (
        rule.id, "goal_evaluation", date(2026, 12, 7), owner.id)
    assert checkin.title == "Na de intake: leerdoelen nog eens doornemen"
    # A follow-up of the intake itself, not of the wait: it stays when an offer starts.
    trajectory.status = "active"
    emit("enrolled", trajectory, NOW)
    assert planned(trajectory) == [checkin]


def test_admin_adds_a_repeating_rule_for_the_volunteer_of_a_match(client, auth, db):
    auth.as_role("admin")
    client.post("/beheer/opvolgregels/nieuw", data=_new_rule(
        name="Maandelijks: hoe gaat het?", event="match_started", checkin_kind="match_3m",
        offset="30", offset_unit="days", assignee="volunteer", repeat_every="30"))
    owner, trajectory = coordinator_and_trajectory(status="active")
    volunteer_user = factories.user("volunteer")
    emit("match_started", trajectory, NOW, match=a_match(trajectory,
                                                         volunteer_user=volunteer_user))
    [monthly] = [c for c in planned(trajectory, assignee_id=volunteer_user.id)
                 if c.title == "Maandelijks: hoe gaat het?"]
    assert monthly.due_on == date(2026, 12, 23)
    after = service.complete_checkin(monthly, outcome="going_well", note=None,
                                     user=volunteer_user, now=aware(2026, 12, 23, 10, 0))
    assert after.due_on == date(2027, 1, 22)


def test_a_new_rule_with_bad_input_gets_dutch_messages_next_to_the_fields(client, auth, db):
    auth.as_role("admin")
    before = factories.count(FollowUpRule)

    response = client.post("/beheer/opvolgregels/nieuw", data=_new_rule(
        name="", event="", checkin_kind="", offset="veel", assignee="volunteer",
        repeat_every="0"))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    errors = dict(re.findall(r'<small id="([\w-]+)-error" class="field-error">([^<]*)</small>',
                             html))
    assert errors == {
        "name": "Vul een naam in.",
        "event": "Kies wanneer de regel een contactmoment plant.",
        "checkin_kind": "Kies het soort contactmoment.",
        "offset": "Ongeldig getal. Kies een getal van 0 tot 730.",
        "assignee": "Alleen bij een koppeling is er een vrijwilliger. Kies hier de eigenaar "
                    "van het traject.",
        "repeat_every": "Kies een getal van 1 tot 365.",
    }
    assert factories.count(FollowUpRule) == before


def test_a_rule_without_a_match_cannot_be_given_to_the_volunteer(client, auth, db):
    auth.as_role("admin")
    rule = factories.followup_rule("waiting")
    response = client.post(f"/beheer/opvolgregels/{rule.id}", data={
        "name": rule.name, "offset": "14", "offset_unit": "days", "assignee": "volunteer",
        "repeat_every": "14", "active": "y"})
    assert "Alleen bij een koppeling is er een vrijwilliger." in response.get_data(as_text=True)
    db.session.expire_all()
    assert rule.assignee == "owner"


@pytest.mark.parametrize("role", ["coordinator", "staff", "volunteer"])
def test_only_admins_add_rules(client, auth, db, role):
    auth.as_role(role)
    before = factories.count(FollowUpRule)
    assert client.get("/beheer/opvolgregels/nieuw").status_code == 403
    assert client.post("/beheer/opvolgregels/nieuw", data=_new_rule()).status_code == 403
    assert factories.count(FollowUpRule) == before


@pytest.mark.parametrize("role", ["coordinator", "staff", "volunteer"])
def test_only_admins_manage_rules(client, auth, db, role):
    auth.as_role(role)
    rule = factories.followup_rule("waiting")
    assert client.get("/beheer/opvolgregels").status_code == 403
    # A page about one record answers 404 to those who may not see it.
    assert client.post(f"/beheer/opvolgregels/{rule.id}",
                       data={"name": "x", "offset": "1"}).status_code == 404
    assert factories.followup_rule("waiting").name != "x"
