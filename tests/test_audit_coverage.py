"""Every page that shows personal data writes an audit row (issue 19, "Audit completeness").

The walk GETs every route of the signed-in app as each role until one is shown the page
(tests/route_walk.py), and checks that the request that showed it wrote at least one row to
the audit log. A route that shows no personal data must be named below, with why: a new
route is either logged or classified here, never forgotten.
"""

from . import factories
from .route_walk import get_rules, walk

NOW = factories.aware(2026, 11, 23, 10, 0)

# GET routes that show no personal data of participants (or volunteers), with the reason.
NO_PERSONAL_DATA = {
    # Public or sign-in pages: nothing of anyone.
    "main.healthz": "status of the server",
    "auth.login": "the sign-in form (a signed-in user is sent on)",
    "auth.set_password": "a password form for the link's own user",
    "auth.forgot_password": "the public form that asks for an e-mail address",
    "auth.signed_out": "the public \"u bent afgemeld\" page",
    "auth.change_password": "the user's own password form (a GET sends them to their account)",
    # Two-factor steps: the user's own second factor (the sign-in steps send a visitor
    # without a checked password back to the sign-in page).
    "auth.twofactor_code": "the code step of the user's own sign-in",
    "auth.twofactor_forced_setup": "setting up the user's own second factor",
    "auth.twofactor_setup": "setting up the user's own second factor",
    "auth.twofactor_new_codes": "the user's own recovery codes",
    "auth.twofactor_switch_off": "switching off the user's own second factor",
    "auth.security_settings_page": "Beheer > Beveiliging: settings, no one's data",
    "selfreg.register": "the empty public registration form",
    "selfreg.thanks": "a thank-you text",
    "privacy.about": "the privacy statement",
    "main.index": "only sends each role on to its own start page",
    "api.openapi": "the API description",
    # The API answers partner systems with a token, not a signed-in user (401 here);
    # app/api logs what a partner reads.
    "api.list_locations": "locations only (and needs a token)",
    "api.list_referrals": "needs a partner token, not a signed-in user",
    "api.get_referral": "needs a partner token, not a signed-in user",
    # The user's own account and messages to themselves.
    "auth.account": "the signed-in user's own account",
    "notifications.index": "the user's own in-app messages (their texts name no one here)",
    "notifications.settings": "the user's own message settings",
    "notifications.open_link": "marks the user's own message read and sends them on",
    # Settings and reference lists.
    "admin.index": "the list of settings pages",
    "admin.message_texts": "message texts with placeholders",
    "admin.message_text_edit": "one message text, previewed with made-up data",
    "admin.reference_lists": "choice lists",
    "admin.reference_list": "one choice list",
    "admin.reference_item": "one choice",
    "admin.closed_days": "the Taalhuis's closed days",
    "admin.locations": "locations",
    "admin.location_edit": "one location",
    "checkins.rules": "follow-up rules",
    "checkins.edit_rule": "one follow-up rule",
    "checkins.new_rule": "an empty rule form",
    "checkins.thresholds_page": "follow-up thresholds",
    "api_tokens.tokens": "partner organisations' API keys (names, no secrets)",
    # Staff accounts and partner organisations: working contact details of colleagues and
    # of referrers, no participant's data (audit logs who changes them).
    "admin.users": "staff accounts",
    "admin.user_edit": "one staff account",
    "admin.user_new": "an empty account form",
    "admin.failed_mail": "e-mails to staff that could not be delivered (address, subject)",
    "partners.index": "partner organisations",
    "partners.detail": "one partner organisation and its contact people",
    "partners.edit": "one partner organisation",
    "partners.new": "an empty partner form",
    "partners.contact_edit": "one contact person of a partner",
    # Offers and groups as such: names of offers, counts, meeting dates.
    "matching.offers": "the offers",
    "matching.new_offer": "an empty offer form",
    "matching.edit_offer": "one offer and how many places are taken",
    "groups.mine": "the groups (offers) of the user's locations",
    "groups.schedule": "a group's meeting dates",
    # Empty forms to register someone new.
    "referrals.new": "an empty referral form",
    "portal.new": "the partner's empty referral form",
    "volunteers.new": "an empty volunteer form",
    # Figures without names.
    "reports.dashboard": "totals and percentages",
    "reports.municipality_csv": "the municipality's totals",
    "reports.municipality_xlsx": "the municipality's totals",
    # Volunteers as a list and as a record: the volunteers' own working details (a volunteer
    # record's matches are logged on volunteers.show).
    "volunteers.index": "the volunteers (names, load, VOG date)",
    "volunteers.edit": "one volunteer's own details",
    # The audit log itself (admins only): logging every look at the log would fill it with
    # itself; who looked at one person is shown (and logged) on privacy.who_looked.
    "audit.index": "the audit log",
}


def test_every_get_route_is_logged_or_classified(app):
    endpoints = {rule.endpoint for rule in get_rules(app)}
    stale = set(NO_PERSONAL_DATA) - endpoints
    assert not stale, f"no such GET route any more, remove: {sorted(stale)}"


def test_every_page_with_personal_data_writes_an_audit_row(app, db, frozen):
    result = walk(app, db, stop_at_first_page=True)
    not_shown, not_logged = [], []
    for endpoint, visits in result.visits.items():
        if endpoint in NO_PERSONAL_DATA:
            continue
        shown = [v for v in visits if v.status == 200]
        if not shown:
            not_shown.append((endpoint, [(v.role, v.status) for v in visits]))
        not_logged += [(endpoint, v.role, v.path) for v in shown if v.audit_rows < 1]
    assert not not_shown, f"no role was shown these pages (fix the walk): {not_shown}"
    assert not not_logged, f"pages with personal data that write no audit row: {not_logged}"


def test_the_waiting_list_and_the_close_page_log_who_was_shown(app, db, client, auth,
                                                              frozen):
    from app.audit.models import AuditEvent

    here = factories.location()
    waiting = factories.waiting_trajectory(here, first_name="Wachtende")
    active = factories.trajectory(factories.participant(first_name="Actieve"),
                                  location_obj=here, status="active")
    db.session.commit()
    auth.as_role("coordinator", locations=[here])
    assert "Wachtende" in client.get("/koppelen/").get_data(as_text=True)
    assert client.get(f"/trajecten/{active.id}/afsluiten").status_code == 200
    events = db.session.scalars(
        __import__("sqlalchemy").select(AuditEvent).where(AuditEvent.action == "view")
        .order_by(AuditEvent.id)).all()
    assert [(e.participant_id, e.summary) for e in events] == [
        (waiting.participant_id, "wachtlijst"), (active.participant_id, "afsluiten")]
    # Both read in Dutch on the person's "Wie keek er?" page.
    trail = auth.audit_log(waiting.participant_id)
    assert "wachtlijst" in trail
