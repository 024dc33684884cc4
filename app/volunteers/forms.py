from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.core import choices
from app.core.forms import MultiCheckboxField, one_line, select_choices, strip
from app.core.phone import PhoneField, PhoneNumber
from app.core.records import version_field
from app.core.timeutil import local_date, utcnow
from app.volunteers.models import VolunteerStatus


class VolunteerForm(FlaskForm):
    version = version_field()
    """The profile. Location and domain choices come from the view."""

    first_name = StringField(_l("Voornaam"), filters=[strip], validators=[
        DataRequired(_l("Vul de voornaam in.")), Length(max=80), one_line])
    last_name = StringField(_l("Achternaam"), filters=[strip],
                            validators=[Optional(), Length(max=120), one_line])
    email = EmailField(_l("E-mailadres"), filters=[strip], validators=[
        Optional(), Length(max=254), Email(_l("Dit e-mailadres klopt niet."))])
    phone = PhoneField(_l("Telefoonnummer"), filters=[strip],
                        validators=[Optional(), Length(max=40), PhoneNumber()])
    sex = SelectField(_l("Man of vrouw (alleen nodig als een deelnemer dat vraagt)"),
                      choices=select_choices(choices.SEX), default="")
    locations = MultiCheckboxField(_l("Locaties"), coerce=int,
                                   validators=[DataRequired(_l("Kies minstens één locatie."))])
    availability = SelectMultipleField(
        _l("Wanneer kan de vrijwilliger?"),
        choices=select_choices((slot, slot) for slot in choices.AVAILABILITY_SLOTS))
    capacity = IntegerField(_l("Hoeveel deelnemers tegelijk?"), default=1, validators=[
        InputRequired(_l("Vul een aantal in.")),
        NumberRange(min=0, max=20, message=_l("Kies een aantal van 0 tot 20."))])
    domains = MultiCheckboxField(_l("Helpt met"))
    languages = StringField(_l("Talen naast Nederlands"), filters=[strip],
                            validators=[Optional(), Length(max=300)])
    vog_on = DateField(_l("Datum van de VOG"), validators=[Optional()])
    submit = SubmitField(_l("Opslaan"))

    def validate_vog_on(self, field):

        if field.data and field.data > local_date(utcnow()):
            raise ValidationError(_l("De datum van de VOG ligt in de toekomst."))


class StatusForm(FlaskForm):
    status = RadioField(_l("Status"), choices=select_choices(choices.VOLUNTEER_STATUS),
                        validators=[InputRequired(_l("Kies een status."))])
    reason = TextAreaField(_l("Waarom? (nodig bij pauze of stoppen)"), filters=[strip],
                           validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Status opslaan"))

    def validate(self, extra_validators=None) -> bool:
        # Optional() ends the field's own checks when empty, so the rule lives here.
        ok = super().validate(extra_validators)
        if (self.status.data in (VolunteerStatus.PAUSED, VolunteerStatus.STOPPED)
                and not self.reason.data):
            self.reason.errors.append(_l("Schrijf kort op waarom."))
            ok = False
        return ok


class TrainingForm(FlaskForm):
    name = StringField(_l("Training"), filters=[strip], default="Basistraining", validators=[
        DataRequired(_l("Vul de naam van de training in.")), Length(max=120)])
    done_on = DateField(_l("Gedaan op"), validators=[Optional()])
    submit = SubmitField(_l("Training toevoegen"))


class LinkAccountForm(FlaskForm):
    user_id = SelectField(_l("Account met de rol vrijwilliger"), coerce=int, choices=[],
                          validators=[InputRequired(_l("Kies een account."))])
    submit = SubmitField(_l("Account koppelen"))


class ButtonForm(FlaskForm):
    """Only the CSRF token: for one-button actions."""

    submit = SubmitField(_l("Doen"))


# --- Session (the volunteer's phone form) ---------------------------------------------------

MINUTE_CHOICES = [15, 30, 45, 60, 75, 90, 120, 150, 180]


class GoalMarkForm(Form):
    """One learning goal in a session. The goal id is a hidden field: the service checks that
    it belongs to this match, so an edited id gets nowhere."""

    goal_id = HiddenField(validators=[InputRequired()])
    progress = SelectField(
        _l("Voortgang"),
        choices=select_choices([("", _l("Niet aan gewerkt")), *choices.SESSION_PROGRESS.items()]),
        default="")

    def validate_goal_id(self, field):
        if not (field.data or "").isdigit():
            raise ValidationError("bad goal id")


class SessionForm(FlaskForm):
    # One-time key of a new session's form: a double tap on a slow phone saves it once.
    form_key = HiddenField(validators=[Optional(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    held_on = DateField(_l("Datum"), validators=[InputRequired(_l("Vul de datum in."))])
    minutes = SelectField(_l("Hoe lang?"), coerce=int, default=60,
                          choices=select_choices((m, _l("%(num)s minuten", num=m))
                                                 for m in MINUTE_CHOICES))
    practised = TextAreaField(_l("Wat hebben jullie geoefend?"), filters=[strip], validators=[
        DataRequired(_l("Schrijf kort op wat jullie hebben geoefend.")), Length(max=2000)])
    goals = FieldList(FormField(GoalMarkForm))
    remark = TextAreaField(_l("Opmerking (mag leeg blijven)"), filters=[strip],
                           validators=[Optional(), Length(max=2000)])
    concern = BooleanField(_l("Ik maak me zorgen"))
    submit = SubmitField(_l("Opslaan"))

    def goal_marks(self) -> dict[int, str]:
        return {int(entry.goal_id.data): entry.progress.data
                for entry in self.goals if entry.progress.data}


class SessionNotHeldForm(FlaskForm):
    """"Ging niet door": the volunteer reports a session that did not happen."""

    form_key = HiddenField(validators=[Optional(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    held_on = DateField(_l("Welke dag?"), validators=[InputRequired(_l("Vul de datum in."))])
    reason = RadioField(_l("Wat gebeurde er?"), choices=select_choices(choices.SESSION_NOT_HELD),
                        validators=[InputRequired(_l("Kies wat er gebeurde."))],
                        invalid_choice_message=_l("Kies wat er gebeurde."))
    remark = TextAreaField(_l("Opmerking (mag leeg blijven)"), filters=[strip],
                           validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Opslaan"))
