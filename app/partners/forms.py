from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SearchField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.core.forms import one_line, status_field
from app.core.phone import PhoneField, PhoneNumber
from app.core.records import version_field


def _optional_email(label):
    return EmailField(label, validators=[
        Optional(), Email(_l("Dit is geen goed e-mailadres.")),
        Length(max=254, message=_l("Maximaal 254 tekens."))])


def _phone(label):
    return PhoneField(label, validators=[
        Optional(), Length(max=40, message=_l("Maximaal 40 tekens.")), PhoneNumber()])


class PartnerForm(FlaskForm):
    version = version_field()
    """A partner organisation. `kind` choices come from the reference list (view fills them)."""

    name = StringField(_l("Naam van de organisatie"), validators=[one_line,
        DataRequired(_l("Vul de naam in.")), Length(max=160, message=_l("Maximaal 160 tekens."))])
    kind = SelectField(_l("Soort organisatie"),
                       validators=[DataRequired(_l("Kies de soort organisatie."))])
    phone = _phone(_l("Algemeen telefoonnummer"))
    email = _optional_email(_l("Algemeen e-mailadres"))
    signals_enabled = BooleanField(
        _l("Signalen sturen: de partner hoort het als iemand niet bereikt is of uit beeld "
           "raakt (alleen met toestemming van de deelnemer)"), default=True)
    submit = SubmitField(_l("Opslaan"))


class NewPartnerForm(PartnerForm):
    """Creating a partner usually starts from one person there: add them in the same step."""

    contact_name = StringField(_l("Naam"), validators=[one_line,
        Optional(), Length(max=120, message=_l("Maximaal 120 tekens."))])
    contact_role = StringField(_l("Functie"), validators=[one_line,
        Optional(), Length(max=120, message=_l("Maximaal 120 tekens."))])
    contact_email = _optional_email(_l("E-mailadres"))
    contact_phone = _phone(_l("Telefoonnummer"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        filled = any((self.contact_role.data, self.contact_email.data, self.contact_phone.data))
        if filled and not (self.contact_name.data or "").strip():
            self.contact_name.errors.append(_l("Vul de naam van de contactpersoon in."))
            ok = False
        return ok


class ContactForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[one_line,
        DataRequired(_l("Vul de naam in.")), Length(max=120, message=_l("Maximaal 120 tekens."))])
    role = StringField(_l("Functie"), validators=[one_line,
        Optional(), Length(max=120, message=_l("Maximaal 120 tekens."))])
    email = _optional_email(_l("E-mailadres"))
    phone = _phone(_l("Telefoonnummer"))
    submit = SubmitField(_l("Opslaan"))


class PartnerFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Zoek op naam"), validators=[Optional()])
    kind = SelectField(_l("Soort"), validators=[Optional()], default="")
    status = status_field()
