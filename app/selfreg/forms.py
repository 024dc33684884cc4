from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
)

from app.core.forms import MultiCheckboxField, one_line, select_choices, strip
from app.core.phone import PhoneField, PhoneNumber
from app.selfreg.service import MOMENTS, TOPICS


class SelfRegistrationForm(FlaskForm):
    first_name = StringField(_l("Uw voornaam"), filters=[strip], validators=[
        DataRequired(_l("Schrijf uw voornaam.")), Length(max=80, message=_l("Te lang.")), one_line])
    phone = PhoneField(_l("Uw telefoonnummer"), filters=[strip], validators=[
        DataRequired(_l("Schrijf uw telefoonnummer. Wij bellen u.")),
        Length(max=40, message=_l("Te lang.")),
        # A2: short words, and an example to copy.
        PhoneNumber(_l("Dit nummer klopt niet. Schrijf het zo: 06 12345678"))])
    best_moment = RadioField(_l("Wanneer kunnen wij u bellen?"),
                             choices=select_choices(MOMENTS.items()), default="maakt_niet_uit",
                             validators=[Optional()])
    topics = MultiCheckboxField(_l("Wat wilt u leren?"),
                                choices=select_choices(TOPICS.items()))
    question = TextAreaField(_l("Wilt u nog iets zeggen? (mag leeg blijven)"),
                             filters=[strip], validators=[
                                 Length(max=500, message=_l("Te lang. Hoogstens 500 tekens."))])
    helped_by = StringField(_l("Helpt iemand u met dit formulier? Schrijf dan hier de naam."),
                            filters=[strip], validators=[one_line, Length(max=120,
                                                                 message=_l("Te lang."))])
    # Honeypot: hidden from people, filled in by bots.
    website = StringField(_l("Laat dit veld leeg"), filters=[strip])
    submit = SubmitField(_l("Aanmelden"))


class AcceptForm(FlaskForm):
    """The view fills `location_id.choices`."""

    location_id = SelectField(_l("Vestiging"), coerce=int,
                              validators=[InputRequired(_l("Kies een vestiging."))])
    # After the duplicate check: "new" or "attach:<participant id>" (the buttons carry it).
    decision = HiddenField(validators=[
        Optional(), Regexp(r"^(new|attach:\d{1,10}|add_to:\d{1,10})$")])
    accept = SubmitField(_l("Aannemen"))


class RejectForm(FlaskForm):
    reject = SubmitField(_l("Afwijzen"))
