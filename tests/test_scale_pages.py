"""The pages opened all day stay right after issue 14 made them cheap: the menu's count of
open concerns, Mijn taken (own list and the location's), the "Zorgen" list, the ranking of
volunteers, the volunteer overview and the volunteer's own pages. Same people, same order,
same scope; and the number of queries does not grow with the data."""

import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.auth.permissions import volunteer_scope
from app.matching import scoring
from app.matching import service as matching
from app.matching.models import Match, MatchStatus
from app.volunteers.models import Volunteer

from . import factories
from .factories import aware

NOW = aware(2026, 11, 25, 11, 0)  # Wednesday 25 November 2026, noon in Amsterdam
TODAY = date(2026, 11, 25)


def _menu_concerns(html: str) -> int:
    """The number on "Zorgen" in the menu (no badge: none)."""
    found = re.search(r'Zorgen <span class="badge badge-alert">(\d+)<', html)
    return int(found.group(1)) if found else 0


def _concern(location, first_name: str, *, handled: bool = False, concern: bool = True,
             restricted: bool = False):
    person = factories.participant(first_name=first_name, last_name="Zorg")
    if restricted:
        person.restricted_at = aware(2026, 11, 20, 9, 0)
    trajectory = factories.trajectory(person, location_obj=location, status="active")
    match = factories.match(trajectory, factories.volunteer(locations=[location]))
    session = factories.match_session(match, concern=concern)
    if handled:
        session.concern_handled_at = aware(2026, 11, 21, 9, 0)
    return session


# --- The menu's count and the "Zorgen" list -------------------------------------------------

def test_the_menu_counts_only_open_concerns_the_user_may_see(client, auth, db, frozen):
    coordinator = auth.as_role("coordinator")
    mine, elsewhere = coordinator.locations[0], factories.location()
    _concern(mine, "Amina")
    _concern(mine, "Bilal")
    _concern(mine, "Cees", handled=True)
    _concern(mine, "Dirk", concern=False)
    _concern(mine, "Eline", restricted=True)
    _concern(elsewhere, "Fleur")
    db.session.commit()

    assert _menu_concerns(client.get("/taken").get_data(as_text=True)) == 2
    listed = client.get("/zorgen").get_data(as_text=True)
    assert _menu_concerns(listed) == 2
    for name in ("Amina", "Bilal"):
        assert name in listed
    for name in ("Cees", "Dirk", "Eline", "Fleur"):
        assert name not in listed

    auth.logout()
    auth.as_role("admin")
    # An admin sees every location's, still not the handled or the restricted person's.
    admin_list = client.get("/zorgen").get_data(as_text=True)
    assert _menu_concerns(admin_list) == 3
    assert "Fleur" in admin_list and "Eline" not in admin_list


def test_a_handled_concern_leaves_the_menu_count(client, auth, db, frozen):
    coordinator = auth.as_role("coordinator")
    first = _concern(coordinator.locations[0], "Amina")
    _concern(coordinator.locations[0], "Bilal")
    db.session.commit()
    assert _menu_concerns(client.get("/taken").get_data(as_text=True)) == 2

    html = client.get("/zorgen").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    data = {"csrf_token": token.group(1)} if token else {}
    assert client.post(f"/zorgen/{first.id}/opgepakt", data=data).status_code == 302
    after = client.get("/zorgen").get_data(as_text=True)
    assert _menu_concerns(after) == 1
    assert "Bilal" in after and "Amina" not in after


def test_the_concerns_list_is_oldest_first_over_pages(client, auth, db, frozen, app):
    coordinator = auth.as_role("coordinator")
    per_page = app.config["PER_PAGE"]
    for n in range(per_page + 2):
        session = _concern(coordinator.locations[0], f"Persoon{n:02d}")
        # The newest first in id, the oldest first in time: the list follows the time.
        session.created_at = aware(2026, 11, 24, 9, 0) - timedelta(hours=n)
    db.session.commit()

    first = client.get("/zorgen").get_data(as_text=True)
    second = client.get("/zorgen?page=2").get_data(as_text=True)
    assert _menu_concerns(first) == per_page + 2
    assert "Pagina 1 van 2" in first
    oldest = f"Persoon{per_page + 1:02d}"
    assert oldest in first and "Persoon00" not in first
    assert "Persoon00" in second and "Persoon01" in second
    assert first.index(oldest) < first.index(f"Persoon{per_page:02d}")


# --- Mijn taken -------------------------------------------------------------------------------

def _task(first_name: str, due_on: date, *, assignee, location, restricted: bool = False,
          status: str = "planned"):
    person = factories.participant(first_name=first_name, last_name="Taak")
    if restricted:
        person.restricted_at = aware(2026, 11, 20, 9, 0)
    trajectory = factories.trajectory(person, location_obj=location, status="waiting",
                                      waiting_since=date(2026, 11, 1))
    return factories.checkin(trajectory, due_on=due_on, assignee=assignee, status=status)


def test_my_tasks_and_the_location_list_hold_the_same_people_as_before(client, auth, db,
                                                                       frozen):
    me = auth.as_role("coordinator")
    mine, elsewhere = me.locations[0], factories.location()
    colleague = factories.user("coordinator", locations=[mine])
    _task("Anna", TODAY, assignee=me, location=mine)
    _task("Bart", TODAY, assignee=me, location=elsewhere)  # assigned to me, elsewhere
    _task("Cato", TODAY, assignee=None, location=mine)  # nobody's, my location
    _task("Daan", TODAY, assignee=None, location=elsewhere)
    _task("Emre", TODAY, assignee=colleague, location=mine)
    _task("Fien", TODAY, assignee=me, location=mine, restricted=True)
    _task("Gijs", TODAY - timedelta(days=1), assignee=me, location=mine, status="done")
    _task("Hugo", TODAY + timedelta(days=20), assignee=me, location=mine)  # not this week
    db.session.commit()

    own = client.get("/taken").get_data(as_text=True)
    for name in ("Anna", "Bart", "Cato"):
        assert name in own
    for name in ("Daan", "Emre", "Fien", "Gijs", "Hugo"):
        assert name not in own

    location = client.get("/taken?van=vestiging").get_data(as_text=True)
    for name in ("Anna", "Cato", "Emre", "Hugo"):
        assert name in location
    for name in ("Bart", "Daan", "Fien", "Gijs"):
        assert name not in location


def test_the_location_list_keeps_its_order_over_pages(client, auth, db, frozen, app):
    me = auth.as_role("coordinator")
    per_page = app.config["PER_PAGE"]
    total = per_page + 4
    # Due dates out of id order; two on each day, so the id decides within a day.
    for n in range(total):
        _task(f"Persoon{n:02d}", TODAY + timedelta(days=(total - n) // 2), assignee=None,
              location=me.locations[0])
    _task("Vreemd", TODAY, assignee=None, location=factories.location())
    db.session.commit()

    expected = sorted(range(total), key=lambda n: ((total - n) // 2, n))
    first = client.get("/taken?van=vestiging").get_data(as_text=True)
    second = client.get("/taken?van=vestiging&page=2").get_data(as_text=True)
    assert "Pagina 1 van 2" in first and "Pagina 2 van 2" in second
    shown = [int(n) for n in re.findall(r"Persoon(\d\d) Taak", first)]
    shown += [int(n) for n in re.findall(r"Persoon(\d\d) Taak", second)]
    assert list(dict.fromkeys(shown)) == expected
    assert "Vreemd" not in first + second


# --- The ranking --------------------------------------------------------------------------------

def _reference_ranking(trajectory, user, today):
    """The ranking worked out the slow, obvious way: every volunteer in scope as an ORM
    object, their load counted one by one, scored with the one scoring function."""
    need = matching.trajectory_need(trajectory, today)
    years = matching.vog_max_age_years()
    fits = []
    for volunteer in factories.db.session.scalars(
            sa.select(Volunteer).where(volunteer_scope(user))):
        if volunteer.status == "stopped":
            continue
        load = factories.db.session.scalar(
            sa.select(sa.func.count()).select_from(Match)
            .where(Match.volunteer_id == volunteer.id,
                   Match.status.in_(MatchStatus.LOAD)))
        candidate = scoring.Candidate(
            volunteer.id, volunteer.full_name, volunteer.status, volunteer.capacity, load,
            volunteer.vog_on, volunteer.location_ids, volunteer.availability,
            volunteer.domains, {lang.lower(): lang for lang in volunteer.languages}, volunteer.sex)
        fits.append(scoring.score(need, candidate, today=today, vog_max_age_years=years))
    return scoring.rank(fits)


def test_the_ranking_is_the_same_as_scoring_every_volunteer_by_hand(client, auth, db, frozen):
    coordinator = auth.as_role("coordinator")
    here, there = coordinator.locations[0], factories.location()
    trajectory = factories.waiting_trajectory(
        here, availability=("mon-morning", "tue-morning", "wed-evening"),
        subjects=("digitaal", "lezen"), volunteer_preferences="Liefst een vrouw die Turks spreekt")
    trajectory.participant.native_language = "Arabisch"
    trajectory.intake.level_speaking = "A1"
    slots = ["mon-morning", "tue-morning", "wed-evening", "sat-morning", "thu-afternoon"]
    subjects = ["digitaal", "lezen", "rekenen", "schrijven"]
    languages = [(), ("Arabisch",), ("Turks", "Engels"), ("Frans",)]
    for n in range(24):
        volunteer = factories.volunteer(
            f"Vrijwilliger{n:02d}", last_name="Gelijk" if n % 5 == 0 else None,
            locations=[here] if n % 3 else [here, there],
            availability=slots[n % 5:n % 5 + 1 + n % 3], domains=subjects[n % 4:n % 4 + 2],
            languages=languages[n % 4], capacity=1 + n % 3, sex=("vrouw", "man", None)[n % 3],
            status=("active", "active", "active", "paused", "stopped")[n % 5],
            vog_on=None if n % 7 == 0 else date(2026 - n % 5, 6, 1))
        for m in range(n % 4):
            factories.match(factories.trajectory(location_obj=here, status="active"), volunteer,
                            status=("active", "proposed", "ended", "paused")[m])
    earlier = factories.volunteer("Eerder", locations=[here])
    factories.match(trajectory, earlier, status="ended")
    # Only in another location: out of the coordinator's scope.
    factories.volunteer("Buiten", locations=[there])
    db.session.commit()

    ranking = matching.rank_volunteers(trajectory, scope=volunteer_scope(coordinator),
                                       today=TODAY)
    proposed, apart = _reference_ranking(trajectory, coordinator, TODAY)

    def key(fits):
        return [(f.candidate.id, f.score, f.blockers) for f in fits]

    assert key(ranking.proposed) == key(proposed)
    assert key(ranking.apart) == key(apart[:matching.APART_KEPT])
    assert ranking.apart_total == len(apart)
    # The reasons on screen are the same as well.
    assert [f.factors for f in ranking.explained(ranking.proposed)] == \
        [f.factors for f in proposed]
    assert "Buiten" not in {f.candidate.name for f in proposed + apart}

    html = client.get(f"/trajecten/{trajectory.id}/koppelen").get_data(as_text=True)
    ranked_html = html.split("Kunnen nu niet")[0]
    names = [f.candidate.name for f in proposed]
    assert [ranked_html.index(f"<strong>{name}</strong>") for name in names] == \
        sorted(ranked_html.index(f"<strong>{name}</strong>") for name in names)


# --- Queries per page do not grow with the data -----------------------------------------------

def _world(coordinator, volunteer_user, n: int):
    """n of everything the pages show, in the coordinator's location."""
    location = coordinator.locations[0]
    volunteer = factories.db.session.scalar(
        sa.select(Volunteer).where(Volunteer.user_id == volunteer_user.id))
    for i in range(n):
        trajectory = factories.trajectory(factories.participant(first_name=f"P{i}"),
                                          location_obj=location, status="active")
        factories.learning_goal(trajectory)
        match = factories.match(trajectory, volunteer if i % 2 == 0 else
                                factories.volunteer(locations=[location]))
        factories.match_session(match, concern=True, held_on=date(2026, 11, 20) - timedelta(i))
        factories.match_session(match, held_on=date(2026, 11, 10) - timedelta(i))
        factories.checkin(trajectory, due_on=TODAY - timedelta(days=i % 3),
                          assignee=coordinator if i % 3 else None)
        factories.checkin(trajectory, due_on=TODAY, assignee=volunteer_user,
                          match_id=match.id)
    factories.volunteer(locations=[location], status="paused")
    return volunteer


def test_queries_per_page_do_not_grow_with_the_data(client, auth, db, frozen, count_queries):
    coordinator = factories.user("coordinator")
    volunteer, volunteer_user = factories.volunteer_with_account(
        locations=[coordinator.locations[0]], capacity=50)
    waiting = factories.waiting_trajectory(coordinator.locations[0])
    db.session.commit()

    signed_in = []

    def measure(user, paths):
        if signed_in:
            auth.logout()
        assert auth.login(user).status_code == 302
        signed_in.append(user)
        result = {}
        for path in paths:
            client.get(path)  # warm: the first request loads settings once
            with count_queries() as statements:
                response = client.get(path)
            assert response.status_code == 200, path
            result[path] = len(statements)
        return result

    staff_pages = ["/taken", "/taken?van=vestiging", "/zorgen", "/vrijwilligers/",
                   "/vrijwilligers/?ruimte=1", f"/trajecten/{waiting.id}/koppelen"]

    def volunteer_pages():
        first = db.session.scalar(sa.select(Match.id).where(Match.volunteer_id == volunteer.id,
                                                            Match.status == "active")
                                  .order_by(Match.id))
        return ["/mijn/deelnemers", f"/mijn/koppelingen/{first}"]

    _world(coordinator, volunteer_user, 2)
    db.session.commit()
    few = (measure(coordinator, staff_pages), measure(volunteer_user, volunteer_pages()))
    _world(coordinator, volunteer_user, 12)
    db.session.commit()
    many = (measure(coordinator, staff_pages), measure(volunteer_user, volunteer_pages()))
    assert many == few
