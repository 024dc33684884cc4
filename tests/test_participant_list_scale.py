"""The participant list at regional scale (issue 14): the stored newest trajectory per person
and location, the order, the filters on it, the bounded pages; the bounded timeline of the
participant page and the work queue's query count."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.core.readmodels import refresh_all
from app.participants.models import Participant, Trajectory
from app.referrals.models import ContactAttempt

from . import factories

NOW = factories.aware(2026, 11, 16, 10, 0)


def _names(html: str) -> list[str]:
    """The people listed, in the order shown (the name links of the table)."""
    return re.findall(r'<th scope="row"><a href="/deelnemers/\d+">([^<]+)</a>', html)


def _person(loc, first, last, **kwargs):
    p = factories.participant(first_name=first, last_name=last, phone=None)
    return p, factories.trajectory(p, location_obj=loc, **kwargs)


def _flagged(db) -> set[int]:
    return set(db.session.scalars(
        sa.select(Trajectory.id).where(Trajectory.newest_at_location)))


def _expected(db) -> set[int]:
    """What the flag should be: the highest id per person and location."""
    return set(db.session.scalars(sa.select(sa.func.max(Trajectory.id))
                                  .group_by(Trajectory.participant_id, Trajectory.location_id)))


def _assert_read_model_right(db):
    db.session.flush()
    assert _flagged(db) == _expected(db)


# --- Order and filters ----------------------------------------------------------------------

def test_list_is_ordered_by_last_then_first_name_whatever_the_case(client, db, auth, frozen):
    loc = factories.location()
    auth.as_role("staff", locations=[loc])
    for first, last in [("Piet", "de Vries"), ("anna", "Bakker"), ("Bram", "bakker"),
                        ("Zeynep", "Aydin"), ("Ali", "")]:
        _person(loc, first, last)
    db.session.commit()
    assert _names(client.get("/deelnemers/").get_data(as_text=True)) == [
        "Ali", "Zeynep Aydin", "anna Bakker", "Bram bakker", "Piet de Vries"]


@pytest.fixture
def two_locations(db, frozen):
    """Anna was helped at Noord (waiting, her older trajectory) and came back at Zuid
    (referred, her newest). Bram is only at Noord."""
    north, south = factories.location("Noord"), factories.location("Zuid")
    anna, old = _person(north, "Anna", "Tweemaal", status="waiting")
    new = factories.trajectory(anna, location_obj=south, status="referred")
    _person(north, "Bram", "Eenmaal", status="active")
    db.session.commit()
    return {"north": north, "south": south, "old": old, "new": new}


def test_a_viewer_of_one_location_sees_the_newest_trajectory_there(client, auth,
                                                                   two_locations):
    auth.as_role("coordinator", locations=[two_locations["north"]])
    html = client.get("/deelnemers/").get_data(as_text=True)
    assert _names(html) == ["Bram Eenmaal", "Anna Tweemaal"]
    assert "Zuid" not in html
    # Filters apply to the trajectory this viewer sees: the older one at Noord.
    assert _names(client.get("/deelnemers/?status=waiting").get_data(as_text=True)) == [
        "Anna Tweemaal"]
    assert _names(client.get("/deelnemers/?status=referred").get_data(as_text=True)) == []
    north = two_locations["north"].id
    assert _names(client.get(f"/deelnemers/?location={north}").get_data(as_text=True)) == [
        "Bram Eenmaal", "Anna Tweemaal"]


def test_a_viewer_of_both_locations_and_an_admin_see_the_newest_overall(client, auth, db,
                                                                        two_locations):
    north, south = two_locations["north"], two_locations["south"]
    for login in (lambda: auth.as_role("coordinator", locations=[north, south]),
                  lambda: auth.as_role("admin")):
        login()
        assert _names(client.get("/deelnemers/?status=waiting").get_data(as_text=True)) == []
        assert _names(client.get("/deelnemers/?status=referred").get_data(as_text=True)) == [
            "Anna Tweemaal"]
        assert _names(client.get(f"/deelnemers/?location={north.id}")
                      .get_data(as_text=True)) == ["Bram Eenmaal"]
        assert _names(client.get(f"/deelnemers/?location={south.id}")
                      .get_data(as_text=True)) == ["Anna Tweemaal"]
        auth.logout()


def test_filters_on_owner_and_out_of_view_read_the_newest_trajectory(client, auth, db,
                                                                      frozen):
    loc = factories.location()
    coordinator = auth.as_role("coordinator", locations=[loc])
    # Cor's old trajectory was his and out of view; the new one has no owner yet.
    cor, _old = _person(loc, "Cor", "Terug", status="ended", owner=coordinator,
                        out_of_view_since=factories.aware(2026, 10, 1, 6, 0))
    factories.trajectory(cor, location_obj=loc, status="referred")
    _person(loc, "Dirk", "Mijn", status="active", owner=coordinator,
            out_of_view_since=factories.aware(2026, 11, 1, 6, 0))
    db.session.commit()
    assert _names(client.get("/deelnemers/?owner=me").get_data(as_text=True)) == ["Dirk Mijn"]
    assert _names(client.get("/deelnemers/?owner=none").get_data(as_text=True)) == [
        "Cor Terug"]
    assert _names(client.get("/deelnemers/?status=out_of_view").get_data(as_text=True)) == [
        "Dirk Mijn"]
    assert _names(client.get(f"/deelnemers/?owner={coordinator.id}&status=open")
                  .get_data(as_text=True)) == ["Dirk Mijn"]


def test_an_admin_lists_a_person_without_any_trajectory(client, auth, db, frozen):
    auth.as_role("admin")
    factories.participant(first_name="Zonder", last_name="Traject")
    db.session.commit()
    html = client.get("/deelnemers/").get_data(as_text=True)
    assert _names(html) == ["Zonder Traject"] and "Geen traject" in html
    assert _names(client.get("/deelnemers/?status=open").get_data(as_text=True)) == []


# --- The read model stays right -------------------------------------------------------------

def test_the_flag_follows_a_new_trajectory_a_move_and_an_end(client, db, auth, frozen):
    from app.matching.service import end_trajectory
    from app.participants.owners import move_trajectory

    north, south = factories.location("Noord"), factories.location("Zuid")
    admin = factories.user("admin")
    anna, first = _person(north, "Anna", "Verhuist", status="ended")
    _assert_read_model_right(db)
    assert first.newest_at_location

    second = factories.trajectory(anna, location_obj=north, status="waiting")
    _assert_read_model_right(db)
    assert {t.id for t in anna.trajectories if t.newest_at_location} == {second.id}

    move_trajectory(second, south, reason="Verhuisd naar Zuid", owner=None, user=admin,
                    now=NOW)
    _assert_read_model_right(db)
    # At Noord the ended one is the newest again; at Zuid the moved one.
    assert first.newest_at_location and second.newest_at_location

    end_trajectory(second, outcome="moved", end_reason="verhuisd", goal_results={}, by=admin,
                   now=NOW)
    _assert_read_model_right(db)
    db.session.commit()

    auth.login(admin)
    html = client.get(f"/deelnemers/?location={south.id}&status=ended").get_data(as_text=True)
    assert _names(html) == ["Anna Verhuist"]


def test_the_flag_follows_a_merge_of_duplicates(db, frozen):
    from app.referrals.service import attach_to_known_person

    loc = factories.location()
    staff = factories.user("staff", locations=[loc])
    known, old = _person(loc, "Fatima", "Bekend", status="ended")
    _duplicate, fresh = _person(loc, "Fatima", "Bekend", status="referred")
    _assert_read_model_right(db)
    attach_to_known_person(fresh, known, user=staff, now=NOW)
    _assert_read_model_right(db)
    db.session.refresh(old)
    db.session.refresh(fresh)
    assert fresh.participant_id == known.id
    assert fresh.newest_at_location and not old.newest_at_location


def test_the_flag_follows_a_trajectory_folded_into_an_open_one(db, frozen):
    from app.referrals.service import attach_to_known_person

    loc = factories.location()
    staff = factories.user("staff", locations=[loc])
    known, current = _person(loc, "Sara", "Dubbel", status="waiting")
    _duplicate, fresh = _person(loc, "Sara", "Dubbel", status="referred")
    attach_to_known_person(fresh, known, user=staff, now=NOW)
    _assert_read_model_right(db)
    assert db.session.get(Trajectory, current.id).newest_at_location


def test_anonymised_and_erased_people_leave_the_list_and_the_flags_stay_right(
        client, auth, db, frozen):
    from app.privacy.anonymise import anonymise_participant
    from app.privacy.erasure import confirm_erasure, request_erasure

    loc = factories.location()
    admin = auth.as_role("admin", locations=[loc])
    gone, _t = _person(loc, "Oud", "Dossier", status="ended")
    erased, _t = _person(loc, "Wil", "Gewist", status="active")
    _person(loc, "Blijft", "Staan", status="active")
    db.session.commit()
    anonymise_participant(gone, now=NOW)
    erasure, _created = request_erasure(erased, by=factories.user("admin"), now=NOW)
    confirm_erasure(erasure, by=admin, now=NOW)
    _assert_read_model_right(db)
    db.session.commit()
    assert _names(client.get("/deelnemers/").get_data(as_text=True)) == ["Blijft Staan"]
    assert _names(client.get("/deelnemers/?status=ended").get_data(as_text=True)) == []


def test_the_bulk_refresh_sets_what_the_app_keeps(db, frozen):
    loc, other = factories.location(), factories.location()
    p, _t = _person(loc, "Bulk", "Geladen")
    factories.trajectory(p, location_obj=loc)
    factories.trajectory(p, location_obj=other)
    db.session.commit()
    # A bulk load writes rows behind the app's back, with the flag wrong either way.
    db.session.execute(sa.update(Trajectory).values(
        newest_at_location=sa.not_(Trajectory.newest_at_location)))
    assert _flagged(db) != _expected(db)
    refresh_all(db.session.connection())
    assert _flagged(db) == _expected(db)


# --- Pages ---------------------------------------------------------------------------------

@pytest.fixture
def sixty(db, auth, frozen):
    loc = factories.location()
    auth.as_role("staff", locations=[loc])
    for i in range(60):
        _person(loc, "Lid", f"{'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[i % 26]}naam{i:02d}")
    db.session.commit()
    return sorted(f"Lid {'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[i % 26]}naam{i:02d}" for i in range(60))


def test_first_middle_and_last_page(client, sixty):
    first = client.get("/deelnemers/").get_data(as_text=True)
    assert _names(first) == sixty[:25]
    assert "60 deelnemers gevonden." in first and "Pagina 1 van 3" in first
    assert _names(client.get("/deelnemers/?page=2").get_data(as_text=True)) == sixty[25:50]
    last = client.get("/deelnemers/?page=3").get_data(as_text=True)
    assert _names(last) == sixty[50:] and "Volgende" not in last
    # A page past the end (an old link) shows the last one.
    assert _names(client.get("/deelnemers/?page=9").get_data(as_text=True)) == sixty[50:]


def test_beyond_the_limit_the_count_says_more_and_letters_lead_further(app, client, sixty):
    app.config["PARTICIPANT_LIST_LIMIT"] = 50
    first = client.get("/deelnemers/").get_data(as_text=True)
    assert "Meer dan 50 deelnemers gevonden." in first
    assert _names(first) == sixty[:25]
    assert 'href="/deelnemers/?vanaf=m"' in first
    last = client.get("/deelnemers/?page=2").get_data(as_text=True)
    assert _names(last) == sixty[25:50]
    assert "Dit is de laatste pagina die de lijst toont." in last and "Volgende" not in last
    # The people past the limit: from a first letter of the last name.
    from_w = client.get("/deelnemers/?vanaf=w").get_data(as_text=True)
    assert _names(from_w) == [n for n in sixty if n.split()[1][0] >= "W"]
    assert "Achternaam vanaf de letter W." in from_w


def test_the_pager_keeps_the_letter_and_the_filters(client, sixty):
    html = client.get("/deelnemers/?vanaf=b&status=referred").get_data(as_text=True)
    assert _names(html) == [n for n in sixty if n.split()[1][0] >= "B"][:25]
    assert 'href="/deelnemers/?page=2&amp;status=referred&amp;vanaf=b"' in html


# --- The participant page -------------------------------------------------------------------

def _attempts(trajectory, n: int, start: int = 0):
    for i in range(start, start + n):
        factories.db.session.add(ContactAttempt(
            trajectory=trajectory, at=factories.aware(2026, 1, 1, 9, 0).replace(
                day=1 + i % 28, month=1 + i // 28), reached=False, channel="phone",
            note=f"Poging {i:02d}"))


def test_the_timeline_shows_the_newest_fifty_and_more_on_request(client, auth, db, frozen):
    loc = factories.location()
    auth.as_role("staff", locations=[loc])
    p, t = _person(loc, "Veel", "Gebeld")
    _attempts(t, 60)
    db.session.commit()
    page = client.get(f"/deelnemers/{p.id}").get_data(as_text=True)
    assert "Poging 59" in page and "Poging 11" in page and "Poging 09" not in page
    assert f'href="/deelnemers/{p.id}?tijdlijn=100#tijdlijn"' in page
    everything = client.get(f"/deelnemers/{p.id}?tijdlijn=100").get_data(as_text=True)
    assert "Poging 00" in everything and "Meer tonen" not in everything


def test_participant_page_queries_do_not_grow_with_the_history(client, auth, db, frozen,
                                                               count_queries):
    loc = factories.location()
    auth.as_role("coordinator", locations=[loc])
    p, t = _person(loc, "Lange", "Geschiedenis", status="active")
    earlier = factories.trajectory(p, location_obj=loc, status="ended",
                                   referred_on=date(2024, 3, 1))
    _attempts(t, 3)
    _attempts(earlier, 2)
    db.session.commit()

    def queries() -> int:
        with count_queries() as statements:
            assert client.get(f"/deelnemers/{p.id}").status_code == 200
        return len(statements)

    few = queries()
    _attempts(t, 70, start=3)
    _attempts(earlier, 40, start=2)
    db.session.commit()
    assert queries() == few


# --- The work queue -------------------------------------------------------------------------

def test_work_queue_queries_do_not_grow_with_locations_or_rows(client, auth, db, frozen,
                                                               count_queries):
    auth.as_role("admin")

    def fill(n: int):
        for i in range(n):
            loc = factories.location()
            _person(loc, "Nieuw", f"Persoon{i}", status="referred")
        db.session.commit()

    def queries(tab: str) -> int:
        with count_queries() as statements:
            assert client.get(f"/aanmeldingen/?lijst={tab}").status_code == 200
        return len(statements)

    fill(2)
    few = {tab: queries(tab) for tab in ("nieuw", "contact", "niet-bereikt")}
    fill(8)
    assert {tab: queries(tab) for tab in ("nieuw", "contact", "niet-bereikt")} == few


def test_work_queue_count_and_pages_are_right_without_a_second_count(client, auth, db,
                                                                     frozen):
    loc = factories.location()
    auth.as_role("staff", locations=[loc])
    for i in range(27):
        _person(loc, "Wacht", f"Opbellen{i:02d}", status="referred")
    db.session.commit()
    first = client.get("/aanmeldingen/").get_data(as_text=True)
    assert "Pagina 1 van 2" in first
    second = client.get("/aanmeldingen/?page=2").get_data(as_text=True)
    assert "Pagina 2 van 2" in second and second.count("Opbellen") >= 2


def test_duplicate_hint_by_names_and_birth_year_or_by_phone(db, frozen):
    from app.referrals.service import KNOWN_HERE, duplicate_hints

    loc = factories.location()
    staff = factories.user("staff", locations=[loc])
    known = factories.participant("Yusuf", "Demir", phone="0611111111", birth_year=1970)
    factories.trajectory(known, location_obj=loc, status="ended")
    by_year = factories.participant("yusuf", "DEMIR", phone=None, birth_year=1970)
    by_phone = factories.participant("Yusuf", "", phone="06-11111111", birth_year=None)
    other_year = factories.participant("Yusuf", "Demir", phone=None, birth_year=1971)
    other_first = factories.participant("Yunus", "Demir", phone="0611111111", birth_year=1970)
    people = [by_year, by_phone, other_year, other_first]
    for p in people:
        factories.trajectory(p, location_obj=loc)
    db.session.commit()
    hints = duplicate_hints(staff, [p.id for p in people])
    assert hints == {by_year.id: KNOWN_HERE, by_phone.id: KNOWN_HERE}
    assert db.session.get(Participant, known.id) is not None
