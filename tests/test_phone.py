"""The one phone-number rule (app/core/phone.py): what is a number, how it is stored and shown."""

import pytest
from flask_migrate import downgrade, upgrade

from app.core.phone import (
    display_phone,
    normalise_phone,
    phone_search_fragment,
    tel_href,
)
from app.participants.models import Participant
from app.partners.models import Partner

from . import factories


@pytest.mark.parametrize(("typed", "stored", "shown"), [
    ("06-12345678", "+31612345678", "06 12345678"),
    ("06 12 34 56 78", "+31612345678", "06 12345678"),
    ("+31 6 1234 5678", "+31612345678", "06 12345678"),
    ("0031612345678", "+31612345678", "06 12345678"),
    ("(06) 12345678", "+31612345678", "06 12345678"),
    ("030-1234567", "+31301234567", "030 123 4567"),
    ("(020) 123 45 67", "+31201234567", "020 123 4567"),
    ("088 123 4567", "+31881234567", "088 123 4567"),
    ("+32 470 12 34 56", "+32470123456", "+32 470 12 34 56"),
    ("0049 151 12345678", "+4915112345678", "+49 1511 2345678"),
])
def test_dutch_and_foreign_numbers_are_stored_e164_and_shown_as_people_write_them(
        typed, stored, shown):
    assert normalise_phone(typed) == stored
    assert display_phone(stored) == shown
    assert tel_href(stored) == f"tel:{stored}"


@pytest.mark.parametrize("typed", ["--------", "abc", "bel me", "06 1234", "12345",
                                   "06-123456789", "06-99999999", ""])
def test_what_cannot_be_a_phone_number_is_refused(typed):
    assert normalise_phone(typed) is None


def test_an_old_free_text_phone_is_shown_as_it_was_typed():
    assert display_phone("bel de buurvrouw") == "bel de buurvrouw"
    assert display_phone(None) == ""


@pytest.mark.parametrize(("query", "fragment"), [
    ("0612", "+31612"), ("06-1234 5678", "+31612345678"), ("+3247", "+3247"),
    ("5678", "5678"), ("Fatima", None), ("06", None)])
def test_part_of_a_number_is_searched_in_its_stored_form(query, fragment):
    assert phone_search_fragment(query) == fragment


def test_migration_0006_rewrites_old_free_text_phones_and_keeps_what_is_no_number(app, db):
    # Rows as the code before 0006 wrote them: the phone as typed, the old digits-only key.
    typed = Participant(first_name="Fatima", phone="06-12 34 56 78",
                        phone_normalised="0612345678")
    foreign = Participant(first_name="Lotte", phone="0032 470 12 34 56",
                          phone_normalised="0032470123456")
    no_number = Participant(first_name="Ans", phone="bel de buurvrouw", phone_normalised=None)
    partner = factories.partner()
    partner.phone = "(030) 123 45 67"
    db.session.add_all([typed, foreign, no_number])
    db.session.commit()
    ids = (typed.id, foreign.id, no_number.id, partner.id)
    db.session.remove()

    downgrade(revision="0005")
    upgrade()

    rows = [(p.phone, p.phone_normalised) for p in
            (db.session.get(Participant, i) for i in ids[:3])]
    assert rows == [("+31612345678", "+31612345678"), ("+32470123456", "+32470123456"),
                    ("bel de buurvrouw", None)]
    assert db.session.get(Partner, ids[3]).phone == "+31301234567"
