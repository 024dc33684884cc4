import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from app.core.forms import one_line, strip

# The staff member's own part of a free message: short, so the whole message stays an SMS
# or two (the start and end of the text come from the "free" template).
TEXT_MAX = 300
MAX_PARTS = 3


class FreeMessageForm(FlaskForm):
    tekst = TextAreaField(
        _l("Uw bericht"), filters=[strip],
        validators=[DataRequired(_l("Schrijf eerst wat u de deelnemer wilt zeggen.")),
                    Length(max=TEXT_MAX, message=_l(
                        "Het bericht is te lang. Gebruik hoogstens %(max)d tekens."))])
    afzender = StringField(
        _l("Afzender"), filters=[strip],
        validators=[DataRequired(_l("Vul in wie het bericht stuurt, bijvoorbeeld uw voornaam.")),
                    Length(max=60, message=_l("Gebruik hoogstens %(max)d tekens.")), one_line])
    # One per opened form: the same form posted twice (a double click) is one message.
    form_key = HiddenField(validators=[Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    preview = SubmitField(_l("Voorbeeld"))
    submit = SubmitField(_l("Versturen"))


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token ("Gelezen", "Weer berichten sturen")."""


def new_free_form(user) -> FreeMessageForm:
    """An empty "Bericht sturen" form with its own one-time key, signed by the sender's
    first name."""
    form = FreeMessageForm(formdata=None)
    form.form_key.data = secrets.token_urlsafe(24)
    form.afzender.data = (getattr(user, "name", "") or "").split(" ")[0]
    return form
