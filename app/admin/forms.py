from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.admin.calendar import ClosedDaysError, parse_days
from app.auth.models import ROLES, Role
from app.core.choices import ROLE_LABELS
from app.core.forms import MultiCheckboxField, one_line, status_field, strip
from app.core.phone import PhoneField, PhoneNumber
from app.core.timeutil import LIBERATION_LUSTRUM, LIBERATION_YEARLY, PUBLIC_HOLIDAYS

# Roles that work inside one or more locations: without a location they would see nothing.
ROLES_NEEDING_LOCATION = (Role.COORDINATOR, Role.STAFF)


def int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class UserForm(FlaskForm):
    """Invite a user, or change one. Choices of locations and partner come from the view."""

    name = StringField(_l("Naam"), validators=[one_line,
        DataRequired(_l("Vul de naam in.")), Length(max=120, message=_l("Maximaal 120 tekens."))])
    email = EmailField(_l("E-mailadres"), validators=[
        DataRequired(_l("Vul het e-mailadres in.")),
        Email(_l("Dit is geen goed e-mailadres.")),
        Length(max=254, message=_l("Maximaal 254 tekens.")),
    ])
    role = SelectField(_l("Rol"),
                       choices=[SelectChoice(value=r, label=ROLE_LABELS[r]) for r in ROLES],
                       validators=[DataRequired(_l("Kies een rol."))])
    locations = MultiCheckboxField(_l("Vestigingen"), coerce=int, validate_choice=True)
    partner_id = SelectField(_l("Partnerorganisatie"), coerce=int_or_none,
                             validate_choice=False)
    submit = SubmitField(_l("Opslaan"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.role.data == Role.PARTNER and not self.partner_id.data:
            self.partner_id.errors.append(
                _l("Kies de partnerorganisatie. Dat is nodig voor de rol partner."))
            ok = False
        if self.role.data in ROLES_NEEDING_LOCATION and not self.locations.data:
            self.locations.errors.append(
                _l("Kies minstens één vestiging. Anders ziet deze gebruiker geen deelnemers."))
            ok = False
        valid_partners = {choice.value for choice in self.partner_id.choices}
        if self.partner_id.data is not None and self.partner_id.data not in valid_partners:
            self.partner_id.errors.append(_l("Kies een partnerorganisatie uit de lijst."))
            ok = False
        return ok


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Zoek op naam of e-mail"), validators=[Optional()])
    role = SelectField(_l("Rol"), choices=[SelectChoice(value="", label=_l("Alle rollen"))]
                       + [SelectChoice(value=r, label=ROLE_LABELS[r]) for r in ROLES],
                       default="", validators=[Optional()])
    status = status_field()


class LocationForm(FlaskForm):
    name = StringField(_l("Naam van de vestiging"), validators=[one_line,
        DataRequired(_l("Vul de naam in.")), Length(max=120, message=_l("Maximaal 120 tekens."))])
    municipality = StringField(_l("Gemeente"), validators=[one_line,
        DataRequired(_l("Vul de gemeente in.")),
        Length(max=120, message=_l("Maximaal 120 tekens."))])
    # What messages and appointment cards to participants say (texts.place_text).
    address = StringField(_l("Adres"), filters=[strip], validators=[one_line,
        Length(max=200, message=_l("Maximaal 200 tekens."))])
    phone = PhoneField(_l("Telefoonnummer"), filters=[strip],
                       validators=[Length(max=40), PhoneNumber()])
    directions = StringField(_l("Hoe vindt u ons"), filters=[strip], validators=[one_line,
        Length(max=300, message=_l("Maximaal 300 tekens."))])
    # Who owns a new trajectory here (Location.owner_mode).
    owner_mode = RadioField(_l("Wie wordt eigenaar van een nieuwe aanmelding?"), choices=[
        SelectChoice("registrar", _l("Wie aanmeldt, als dat een coördinator is. Meldt iemand "
                                     "anders aan, dan de coördinatoren om de beurt")),
        SelectChoice("fixed", _l("Vaste eigenaar")),
        SelectChoice("rotation", _l("Om de beurt: de coördinatoren van deze vestiging")),
    ], default="registrar")
    default_owner_id = SelectField(_l("Vaste eigenaar"), choices=[], coerce=str,
                                   validate_choice=False)
    submit = SubmitField(_l("Opslaan"))

    def validate_default_owner_id(self, field):
        if self.owner_mode.data != "fixed":
            return
        if field.data not in {choice.value for choice in field.choices if choice.value}:
            raise ValidationError(_l("Kies de coördinator die vaste eigenaar wordt."))


class ReferenceItemForm(FlaskForm):
    label = StringField(_l("Naam"), validators=[one_line,
        DataRequired(_l("Vul een naam in.")), Length(max=120, message=_l("Maximaal 120 tekens."))])
    sort_order = IntegerField(
        _l("Volgorde"), validators=[Optional(), NumberRange(min=0, max=100000, message=_l(
            "Vul een getal van 0 tot 100000 in."))])
    submit = SubmitField(_l("Opslaan"))


class ClosedDaysForm(FlaskForm):
    holidays = MultiCheckboxField(
        _l("Feestdagen waarop het Taalhuis dicht is"),
        choices=[SelectChoice(value=key, label=dutch)
                 for key, (dutch, _name) in PUBLIC_HOLIDAYS.items()])
    liberation_day = RadioField(_l("Bevrijdingsdag"), choices=[
        SelectChoice(value=LIBERATION_LUSTRUM, label=_l("Alleen om de vijf jaar (2025, 2030)")),
        SelectChoice(value=LIBERATION_YEARLY, label=_l("Elk jaar")),
    ], default=LIBERATION_LUSTRUM)
    own_days = TextAreaField(_l("Eigen sluitingsdagen"))
    submit = SubmitField(_l("Opslaan"))

    def validate_own_days(self, field) -> None:
        try:
            self.parsed_days = parse_days(field.data)
        except ClosedDaysError as error:
            raise ValidationError(str(error)) from None
