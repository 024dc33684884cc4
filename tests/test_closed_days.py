"""Closed days are the Taalhuis's own (Beheer > Sluitingsdagen): working-day deadlines and
the daily digests skip them, and only them."""

import re
from datetime import date

import sqlalchemy as sa

from app.admin.models import CalendarSettings, ClosedDay
from app.core.timeutil import add_working_days, is_working_day, next_working_day, to_utc
from app.referrals.service import first_contact_due
from jobs.digest import digest_due

GOOD_FRIDAY = date(2026, 4, 3)


def _at_seven_thirty(day: date):
    return to_utc(day, 7, 30)


def test_by_default_good_friday_is_a_working_day_and_the_digest_goes_out(app):
    assert is_working_day(GOOD_FRIDAY)
    assert digest_due(_at_seven_thirty(GOOD_FRIDAY))
    # A referral on Maundy Thursday: Good Friday counts, Easter Monday does not.
    assert first_contact_due(date(2026, 4, 2)) == date(2026, 4, 10)
    assert not is_working_day(date(2026, 4, 6)) and not digest_due(_at_seven_thirty(
        date(2026, 4, 6)))


def test_by_default_liberation_day_is_a_day_off_every_five_years_only(app):
    assert not is_working_day(date(2025, 5, 5))  # 2025: a lustrum year
    assert is_working_day(date(2026, 5, 5))


def _checked(page: str) -> set[str]:
    return set(re.findall(r'<input checked [^>]*name="holidays" [^>]*value="(\w+)"', page))


def _save(client, **data):
    form = {"holidays": ["nieuwjaarsdag", "goede_vrijdag", "bevrijdingsdag",
                         "eerste_kerstdag", "tweede_kerstdag"],
            "liberation_day": "yearly", "own_days": ""}
    form.update(data)
    return client.post("/beheer/sluitingsdagen", data=form)


def test_an_admin_chooses_the_public_holidays_and_adds_own_closed_days(app, client, auth, db):
    auth.as_role("admin")
    page = client.get("/beheer/sluitingsdagen").get_data(as_text=True)
    assert _checked(page) == {"nieuwjaarsdag", "tweede_paasdag", "koningsdag",
                              "bevrijdingsdag", "hemelvaartsdag", "tweede_pinksterdag",
                              "eerste_kerstdag", "tweede_kerstdag"}  # not Goede Vrijdag

    response = _save(client, own_days="24-12-2026\n28-12-2026 t/m 31-12-2026\n")
    assert response.status_code == 302

    assert not is_working_day(GOOD_FRIDAY) and not digest_due(_at_seven_thirty(GOOD_FRIDAY))
    assert is_working_day(date(2026, 4, 27))  # Koningsdag no longer chosen
    assert not is_working_day(date(2026, 5, 5))  # Bevrijdingsdag every year now
    # Between Christmas and New Year: closed, then New Year's Day, then the weekend.
    assert add_working_days(date(2026, 12, 23), 1) == date(2027, 1, 4)
    assert next_working_day(date(2026, 12, 29)) == date(2027, 1, 4)
    assert not digest_due(_at_seven_thirty(date(2026, 12, 29)))

    page = client.get("/beheer/sluitingsdagen").get_data(as_text=True)
    assert "24-12-2026\n28-12-2026\n29-12-2026\n30-12-2026\n31-12-2026" in page
    assert _checked(page) == {"nieuwjaarsdag", "goede_vrijdag", "bevrijdingsdag",
                              "eerste_kerstdag", "tweede_kerstdag"}
    assert 'checked id="liberation_day-1"' in page  # "Elk jaar"

    # Saving again without the own days takes them away.
    assert _save(client).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClosedDay)) == 0
    assert is_working_day(date(2026, 12, 29))


def test_a_line_that_is_no_date_is_refused_in_dutch_and_nothing_is_saved(app, client, auth,
                                                                        db):
    auth.as_role("admin")
    response = _save(client, own_days="28-12-2026\nna kerst")
    assert response.status_code == 200
    assert "Regel 2 is geen datum. Schrijf bijvoorbeeld 28-12-2026" in response.get_data(
        as_text=True)
    assert db.session.scalar(sa.select(CalendarSettings)) is None
    assert is_working_day(date(2026, 12, 28))


def test_only_an_admin_sets_the_closed_days(app, client, auth):
    auth.as_role("coordinator")
    assert client.get("/beheer/sluitingsdagen").status_code == 403
    assert _save(client).status_code == 403
