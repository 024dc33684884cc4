"""Walking every GET route of the signed-in app, for the header and audit-coverage tests.

The records come from the permission matrix's `foreign_world` (one record of every kind a
route can name; that test fails when a new route argument has none), and one signed-in
client per role that may see them: an admin and a coordinator and staff member of the
records' location, the volunteer of the match and a portal user of the referring partner.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db as db_
from app.matching.models import Match

from . import factories
from .test_permission_matrix import foreign_world

# Routes that show nothing without a query string: what to add, from the world's ids.
QUERIES = {
    # The cards of one day at one location (the world's appointment is on 20 November).
    "appointments.cards_pdf": lambda values: f"locatie={values['location_id']}&dag=2026-11-20",
}
ROLES = ("admin", "coordinator", "staff", "volunteer", "partner")
# Not walked: the files in static/ (no page), sign-out (ends the walking session).
SKIPPED = {"static", "auth.logout"}


@dataclass
class Visit:
    role: str
    path: str
    status: int
    headers: dict
    audit_rows: int


@dataclass
class Walk:
    visits: dict[str, list[Visit]] = field(default_factory=dict)

    def first_page(self, endpoint: str) -> Visit | None:
        """The first role's visit that showed the page (200)."""
        return next((v for v in self.visits[endpoint] if v.status == 200), None)


def get_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in SKIPPED or "GET" not in (rule.methods or set()):
            continue
        yield rule


def signed_in_clients(app, db) -> tuple[dict, dict]:
    """The world's ids, and a signed-in test client per role."""
    from app.admin.models import Location
    from app.partners.models import Partner

    _here, values = foreign_world(db)
    there = db.session.get(Location, values["location_id"])
    # The lists that only show who is waiting or restricted need one such person too.
    factories.waiting_trajectory(there, first_name="Wachtende")
    restricted = factories.participant(first_name="Beperkte")
    factories.trajectory(restricted, location_obj=there, status="active")
    restricted.restricted_at = factories.aware(2026, 11, 20, 9, 0)
    partner = db.session.get(Partner, values["partner_id"])
    volunteer_user_id = db.session.get(Match, values["match_id"]).volunteer.user_id
    users = {
        "admin": factories.user("admin"),
        "coordinator": factories.user("coordinator", locations=[there]),
        "staff": factories.user("staff", locations=[there]),
        "volunteer": db.session.get(User, volunteer_user_id),
        "partner": factories.user("partner", partner=partner),
    }
    emails = {role: user.email for role, user in users.items()}
    # Who each client is, for a test that adds records of theirs (tests/test_query_counts.py).
    values["role_user_ids"] = {role: user.id for role, user in users.items()}
    db.session.commit()
    clients = {}
    for role in ROLES:
        client = app.test_client()
        response = client.post("/inloggen", data={"email": emails[role],
                                                  "password": factories.PASSWORD})
        assert response.status_code == 302, f"{role} could not sign in"
        clients[role] = client
    return values, clients


def _audit_count() -> int:
    db_.session.commit()
    return db_.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def pages(app, values):
    """(rule, path) of every GET route, filled from the world's ids (a KeyError names a
    route argument the world has no record for)."""
    for rule in get_rules(app):
        arguments = {name: values[name] for name in rule.arguments
                     if name not in (rule.defaults or {})}
        _domain, path = rule.build(arguments)
        if rule.endpoint in QUERIES:
            path += "?" + QUERIES[rule.endpoint](values)
        yield rule, path


def walk(app, db, roles=ROLES, *, stop_at_first_page: bool = False) -> Walk:
    """GET every route as each role in turn (with `stop_at_first_page`: until one role is
    shown the page), noting status, headers and how many audit rows the request wrote."""
    values, clients = signed_in_clients(app, db)
    result = Walk()
    for rule, path in pages(app, values):
        visits = result.visits.setdefault(rule.endpoint, [])
        for role in roles:
            before = _audit_count()
            response = clients[role].get(path)
            visits.append(Visit(role, path, response.status_code, dict(response.headers),
                                _audit_count() - before))
            response.close()
            if stop_at_first_page and response.status_code == 200:
                break
    return result
