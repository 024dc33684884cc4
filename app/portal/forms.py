from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from app.core import choices
from app.core.forms import one_line, select_choices, strip
from app.core.phone import PhoneField, PhoneNumber


class PortalReferralForm(FlaskForm):
    """A partner refers someone. The view fills `location_id.choices`."""

    first_name = StringField(_l("Voornaam"), filters=[strip], validators=[
        DataRequired(_l("Vul de voornaam in.")), Length(max=80), one_line])
    last_name = StringField(_l("Achternaam"), filters=[strip],
                            validators=[Length(max=120), one_line])
    phone = PhoneField(_l("Telefoonnummer"), filters=[strip], validators=[
        DataRequired(_l("Vul een telefoonnummer in. Wij bellen de persoon.")), Length(max=40),
        PhoneNumber()])
    preferred_channel = SelectField(_l("Hoe wil de persoon het liefst contact?"),
                                    choices=select_choices(choices.PREFERRED_CHANNEL),
                                    default="phone")
    question = TextAreaField(_l("Wat wil de persoon leren?"), filters=[strip], validators=[
        DataRequired(_l("Schrijf kort wat de persoon wil leren.")), Length(max=2000)])
    best_moment = StringField(_l("Wanneer kunnen wij het beste bellen?"), filters=[strip],
                              validators=[Length(max=200)])
    location_id = SelectField(_l("Bij welk Taalhuis?"), coerce=int, validators=[
        InputRequired(_l("Kies een Taalhuis."))])
    agreed = BooleanField(_l("De persoon vindt het goed dat ik hem of haar aanmeld."),
                          validators=[DataRequired(_l("Meld iemand alleen aan als die persoon "
                                                      "dat goed vindt."))])
    share = BooleanField(_l("De persoon vindt het goed dat wij u laten weten hoe het gaat."))
    submit = SubmitField(_l("Aanmelden"))
