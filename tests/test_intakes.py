"""The intake conversation: levels on the right scale, availability, offers, consent, goals."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.core import events
from app.intakes.models import Intake, LearningGoal
from app.participants.models import Consent, Trajectory

from . import factories

NOW = factories.aware(2026, 11, 16, 10, 0)  # a Monday; 11:00 in Amsterdam


@pytest.fixture
def emitted(monkeypatch):
    """Trajectory events raised during the test (other subscribers left out); a goal in the
    context is kept as its own words, read while the request's session still has it."""
    seen = []

    def recorder(event, trajectory, now, **ctx):
        seen.append((event, {key: value.own_words if isinstance(value, LearningGoal) else value
                             for key, value in ctx.items()}))

    monkeypatch.setattr(events, "_subscribers", [recorder])
    return seen


@pytest.fixture
def setup(db, auth, frozen):
    """A staff member signed in at a location with one referred participant."""
    loc = factories.location("Bibliotheek Centrum")
    staff = auth.as_role("staff", locations=[loc])
    participant = factories.participant(language_background="nt2")
    trajectory = factories.trajectory(participant, location_obj=loc)
    db.session.commit()
    return {"staff": staff, "participant": participant, "trajectory": trajectory,
            "location": loc}


def _empty_goal(i: int) -> dict:
    return {f"goals-{i}-goal_id": "", f"goals-{i}-subject": "", f"goals-{i}-context": "",
            f"goals-{i}-own_words": "", f"goals-{i}-target_date": ""}


def form_data(**overrides) -> dict:
    data = {
        "held_on": "2026-11-16", "scale": "nt2",
        "level_speaking": "A1", "level_listening": "A2", "level_reading": "A0",
        "level_writing": "A0", "knows_latin_alphabet": "yes", "digital_level": "basic",
        "numeracy_level": "1F", "screening_tool": "taalmeter", "screening_result": "Niveau 2",
        "availability": ["mon-morning", "wed-evening"],
        "volunteer_preferences": "Liever een vrouw", "motivation": "Zelf post lezen",
        "advised_offer": "taalmaatje", "wished_offer": "taalmaatje",
        "offer_difference_reason": "",
        "consent_processing": "yes",
        "consent_method": "verbal",
        "goals-0-goal_id": "", "goals-0-subject": "lezen", "goals-0-context": "geld",
        "goals-0-own_words": "Brieven van de gemeente kunnen lezen",
        "goals-0-target_date": "2027-03-01",
        **_empty_goal(1), **_empty_goal(2),
    }
    data.update(overrides)
    return data


def test_opening_the_intake_shows_in_the_audit_log(client, auth, setup):
    assert client.get(f"/intake/{setup['trajectory'].id}").status_code == 200
    log = auth.audit_log(setup["participant"].id)
    assert re.search(rf"<td>{re.escape(setup['staff'].name)} <small>\(Medewerker Taalhuis\)"
                     r"</small></td>\s*<td>bekeken</td>\s*<td>intake</td>", log)


def test_intake_form_offers_the_participants_scale_and_an_accessible_grid(client, setup):
    t = setup["trajectory"]
    setup["participant"].language_background = "nt1"
    factories.db.session.commit()
    html = client.get(f"/intake/{t.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]* checked [^>]*name="scale"[^>]*value="nt1"', html)
    assert not re.search(r'<input[^>]* checked [^>]*name="scale"[^>]*value="nt2"', html)
    assert 'value="2026-11-16"' in html  # held on defaults to today
    assert "brieven van de gemeente kunnen lezen" in html
    assert html.count('name="goals-2-own_words"') == 1  # three goal rows
    assert ('<label for="availability-mon-morning" class="visually-hidden">'
            'Maandag ochtend</label>') in html
    assert '<th scope="row">Woensdag</th>' in html
    assert "Taalmaatje 1-op-1" in html  # offers come from the reference list


def test_intake_saved_moves_trajectory_to_waiting(client, db, setup, emitted):
    t, p = setup["trajectory"], setup["participant"]
    t.referral.partner = factories.partner("Gemeente Centrum")
    db.session.commit()
    data = form_data(**{
        "goals-1-subject": "digitaal", "goals-1-context": "werk",
        "goals-1-own_words": "Zelf een sollicitatie mailen",
        f"consent_share_{t.referral.id}": "no",
    })
    response = client.post(f"/intake/{t.id}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/deelnemers/{p.id}"

    trajectory = db.session.get(Trajectory, t.id)
    assert trajectory.status == "waiting"
    assert trajectory.waiting_since == date(2026, 11, 16)
    assert trajectory.last_contact_at == NOW
    assert trajectory.referral.result == "reached"
    intake = trajectory.intake
    assert intake.scale == "nt2" and intake.level_listening == "A2"
    assert intake.knows_latin_alphabet is True
    assert intake.availability == ["mon-morning", "wed-evening"]
    assert intake.by_id == setup["staff"].id
    assert [(g.subject, g.target_date) for g in trajectory.goals] == [
        ("lezen", date(2027, 3, 1)), ("digitaal", None)]
    consents = db.session.scalars(sa.select(Consent).order_by(Consent.kind)).all()
    assert [(c.kind, c.given, c.method, c.referral_id) for c in consents] == [
        ("processing", True, "verbal", None),
        ("share_with_referrer", False, "verbal", t.referral.id)]
    audit = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "intake")).all()
    assert [(a.action, a.participant_id) for a in audit] == [("create", p.id)]
    assert [e for e, _ in emitted] == ["intake_done", "waiting", "goal_target_set"]
    assert emitted[2][1]["goal"] == "Brieven van de gemeente kunnen lezen"

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "wacht nu op een aanbod" in page
    assert "Intakegesprek" in page


def test_intake_held_earlier_counts_as_contact_on_that_day(client, db, setup):
    t = setup["trajectory"]
    assert client.post(f"/intake/{t.id}", data=form_data(held_on="2026-11-12")).status_code == 302
    trajectory = db.session.get(Trajectory, t.id)
    assert trajectory.last_contact_at == factories.aware(2026, 11, 12, 11, 0)  # noon in NL
    assert trajectory.waiting_since == date(2026, 11, 12)


def test_level_not_on_the_chosen_scale_is_refused(client, db, setup):
    t = setup["trajectory"]
    response = client.post(f"/intake/{t.id}", data=form_data(scale="nt1", level_speaking="B1",
                                                              level_listening="unknown",
                                                              level_reading="1F",
                                                              level_writing="instroom"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="level_speaking-error"' in html
    assert "Dit niveau hoort niet bij de gekozen schaal" in html
    assert 'id="level_reading-error"' not in html  # 1F is on the NT1 scale
    assert "Zelf post lezen" in html  # what was typed is kept
    assert "Brieven van de gemeente kunnen lezen" in html
    assert '<option selected value="B1">' in html
    for model in (Intake, LearningGoal, Consent):
        assert factories.count(model) == 0
    assert db.session.get(Trajectory, t.id).status == "referred"


def test_different_advice_and_wish_need_a_reason(client, db, setup):
    t = setup["trajectory"]
    response = client.post(f"/intake/{t.id}", data=form_data(wished_offer="taalcafe"))
    html = response.get_data(as_text=True)
    assert 'id="offer_difference_reason-error"' in html
    assert "Advies en wens zijn anders" in html
    assert factories.count(Intake) == 0

    response = client.post(f"/intake/{t.id}", data=form_data(
        wished_offer="taalcafe", offer_difference_reason="Wil eerst mensen ontmoeten"))
    assert response.status_code == 302
    assert db.session.get(Trajectory, t.id).intake.wished_offer == "taalcafe"


def test_at_least_one_learning_goal_is_needed(client, db, setup):
    t = setup["trajectory"]
    response = client.post(f"/intake/{t.id}", data=form_data(**_empty_goal(0)))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vul minstens één leerdoel in." in html
    assert factories.count(Intake) == 0 and factories.count(LearningGoal) == 0


def test_half_filled_goal_row_and_past_target_date_are_refused(client, db, setup):
    t = setup["trajectory"]
    response = client.post(f"/intake/{t.id}", data=form_data(**{
        "goals-0-subject": "", "goals-0-target_date": "2026-11-01"}))
    html = response.get_data(as_text=True)
    assert 'id="goals-0-subject-error"' in html and "Kies een onderwerp." in html
    assert 'id="goals-0-target_date-error"' in html and "al voorbij" in html
    assert factories.count(LearningGoal) == 0


def test_changing_consent_needs_how_it_was_given(client, db, setup):
    t = setup["trajectory"]
    response = client.post(f"/intake/{t.id}", data=form_data(consent_method=""))
    html = response.get_data(as_text=True)
    assert 'id="consent_method-error"' in html
    assert factories.count(Consent) == 0


def test_future_intake_date_is_refused(client, db, setup):
    t = setup["trajectory"]
    response = client.post(f"/intake/{t.id}", data=form_data(held_on="2026-12-01"))
    assert "kan niet in de toekomst liggen" in response.get_data(as_text=True)
    assert factories.count(Intake) == 0


def test_editing_an_intake_updates_it_and_its_goals(client, db, setup, emitted):
    t, p = setup["trajectory"], setup["participant"]
    t.status = "active"
    factories.intake(t, scale="nt2", advised_offer="taalmaatje")
    goal = factories.learning_goal(t, own_words="Oud doel")
    factories.consent(p, "processing", True)
    t.referral.partner = factories.partner("Gemeente Centrum")
    factories.consent(p, "share_with_referrer", False, referral=t.referral)
    db.session.commit()

    html = client.get(f"/intake/{t.id}").get_data(as_text=True)
    assert "Oud doel" in html and f'value="{goal.id}"' in html
    assert 'name="goals-2-own_words"' in html  # room for new goals

    data = form_data(**{
        "goals-0-goal_id": str(goal.id), "goals-0-own_words": "Beter doel",
        "goals-0-target_date": "",
        "goals-1-subject": "rekenen", "goals-1-context": "geld",
        "goals-1-own_words": "Mijn kassabon snappen", "goals-1-target_date": "2027-01-15",
        f"consent_share_{t.referral.id}": "no",
    })
    assert client.post(f"/intake/{t.id}", data=data).status_code == 302
    assert factories.count(Intake) == 1
    goals = db.session.scalars(sa.select(LearningGoal).order_by(LearningGoal.id)).all()
    assert [g.own_words for g in goals] == ["Beter doel", "Mijn kassabon snappen"]
    trajectory = db.session.get(Trajectory, t.id)
    assert trajectory.status == "active"  # an intake never moves a trajectory back
    assert factories.count(Consent) == 2  # unchanged consent writes no new row
    assert [e for e, _ in emitted] == ["goal_target_set"]


def test_emptied_existing_goal_is_refused(client, db, setup):
    t = setup["trajectory"]
    factories.intake(t)
    goal = factories.learning_goal(t)
    db.session.commit()
    data = form_data(**{**_empty_goal(0), "goals-0-goal_id": str(goal.id)})
    html = client.post(f"/intake/{t.id}", data=data).get_data(as_text=True)
    assert "Zet de status" in html
    assert db.session.get(LearningGoal, goal.id).own_words.startswith("Brieven")


def test_goal_status_can_be_changed_from_the_participant_page(client, db, setup):
    t, p = setup["trajectory"], setup["participant"]
    goal = factories.learning_goal(t)
    db.session.commit()
    page = client.get(f"/deelnemers/{p.id}").get_data(as_text=True)
    assert f'action="/intake/leerdoel/{goal.id}/status"' in page

    response = client.post(f"/intake/leerdoel/{goal.id}/status", data={"status": "achieved"})
    assert response.status_code == 302
    assert db.session.get(LearningGoal, goal.id).status == "achieved"
    page = client.get(f"/deelnemers/{p.id}").get_data(as_text=True)
    assert "Leerdoel: Behaald" in page
    assert db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.object_type == "learning_goal")).summary == "status: achieved"


def test_goal_status_must_be_a_known_status(client, db, setup):
    goal = factories.learning_goal(setup["trajectory"])
    db.session.commit()
    client.post(f"/intake/leerdoel/{goal.id}/status", data={"status": "klaar"})
    assert db.session.get(LearningGoal, goal.id).status == "open"


def test_intake_of_another_location_is_not_found(client, db, auth, frozen):
    auth.as_role("staff")
    other = factories.trajectory()
    goal = factories.learning_goal(other)
    db.session.commit()
    assert client.get(f"/intake/{other.id}").status_code == 404
    assert client.post(f"/intake/{other.id}", data=form_data()).status_code == 404
    assert client.post(f"/intake/leerdoel/{goal.id}/status",
                       data={"status": "stopped"}).status_code == 404
    assert factories.count(Intake) == 0


@pytest.mark.parametrize("role", ["volunteer", "partner"])
def test_volunteers_and_partners_cannot_do_intakes(client, db, auth, role):
    auth.as_role(role)
    t = factories.trajectory()
    db.session.commit()
    assert client.get(f"/intake/{t.id}").status_code in (403, 404)
    assert client.post(f"/intake/{t.id}", data=form_data()).status_code in (403, 404)
    assert factories.count(Intake) == 0


def test_an_intake_saved_over_a_colleagues_newer_save_is_refused(client, db, setup):
    t = setup["trajectory"]
    factories.intake(t, scale="nt2", advised_offer="taalmaatje")
    db.session.commit()
    opened = client.get(f"/intake/{t.id}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', opened).group(1)
    first = client.post(f"/intake/{t.id}", data=form_data(motivation="Eerst", version=version))
    assert first.status_code == 302

    late = client.post(f"/intake/{t.id}", data=form_data(motivation="Later getypt",
                                                         version=version))
    html = late.get_data(as_text=True)
    assert late.status_code == 200 and "Iemand anders heeft dit net gewijzigd" in html
    assert "Later getypt" in html
    db.session.expire_all()
    assert db.session.scalar(sa.select(Intake.motivation)) == "Eerst"
