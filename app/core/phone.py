"""The one phone-number rule: parse as Dutch unless a country code is given, store E.164,
show Dutch numbers the Dutch way and foreign ones with their country code."""

import re

import phonenumbers
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

REGION = "NL"
# B1 for staff forms; the self-registration form passes its own A2 text.
PHONE_ERROR = _l("Dit is geen telefoonnummer. Schrijf het zo: 06 12345678")


def parse_phone(value: str | None) -> phonenumbers.PhoneNumber | None:
    """The number in `value`, or None when it cannot be a real phone number.

    `is_valid_number` rather than `is_possible_number`: the latter only counts digits, so it
    lets through "12345" and a mobile number with a digit missing, and a Taalhuis that cannot
    call someone back loses them. It knows every issued Dutch range (mobile, landline, 085/088,
    0800/0900) and those of other countries, which many participants have."""
    if not value or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalise_phone(value: str | None) -> str | None:
    """E.164 ("+31612345678") of a valid number, else None: the storage and matching form."""
    number = parse_phone(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) \
        if number else None


def clean_phone(value: str | None) -> str | None:
    """What to store: E.164 for a valid number; anything else (old free-text data, which
    forms no longer let in) stays as it was typed, so nothing is lost."""
    value = (value or "").strip()
    return (normalise_phone(value) or value) if value else None


def display_phone(value: str | None) -> str:
    """ "06 12345678" for a Dutch number, "+32 470 12 34 56" for a foreign one."""
    number = parse_phone(value)
    if number is None:
        return value or ""
    style = (phonenumbers.PhoneNumberFormat.NATIONAL
             if phonenumbers.region_code_for_number(number) == REGION
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


def tel_href(value: str | None) -> str:
    """A `tel:` link target; a number we cannot read is dialled as its digits."""
    e164 = normalise_phone(value)
    if e164:
        return f"tel:{e164}"
    return "tel:" + re.sub(r"[^\d+]", "", value or "")


def phone_search_fragment(query: str) -> str | None:
    """What part of a stored E.164 number a typed (part of a) phone number is: "0612" ->
    "+31612", "+3247" -> "+3247", "345678" -> "345678". None when `query` is not phone-like."""
    query = query.strip()
    if not re.fullmatch(r"\+?[\d\s()\-./]+", query):
        return None
    full = normalise_phone(query)
    if full:
        return full
    digits = re.sub(r"\D", "", query)
    if len(digits) < 3:
        return None
    if query.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return "+31" + digits[1:]
    return digits


class PhoneNumber:
    """WTForms validator shared by every form with a phone field; an empty field passes
    (pair it with DataRequired where a number is needed)."""

    def __init__(self, message: str | None = None):
        self.message = message

    def __call__(self, form, field):
        if field.data and field.data.strip() and parse_phone(field.data) is None:
            raise ValidationError(self.message or PHONE_ERROR)


class PhoneField(StringField):
    """A text field that shows a valid number the Dutch way ("06 12345678", not the stored
    "+31612345678"); what cannot be read is shown as typed, so it can be corrected."""

    def _value(self):
        return display_phone(self.data) if self.data else super()._value()
