from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.core import choices
from app.core.forms import one_line, select_choices, strip
from app.core.timeutil import to_utc, utcnow


class MatchForm(FlaskForm):
    """Couple the chosen volunteer: propose first, or start right away."""

    start_on = DateField(_l("Startdatum"), validators=[Optional()])
    planned_end_on = DateField(_l("Geplande einddatum (mag leeg blijven)"),
                               validators=[Optional()])
    propose = SubmitField(_l("Alleen voorstellen (eerst bellen)"))
    start = SubmitField(_l("Koppelen en starten"))

    def validate(self, extra_validators=None) -> bool:
        # Optional() ends the field's own checks when empty, so the cross-field rules live here.
        ok = super().validate(extra_validators)
        if self.start.data and not self.start_on.data and not self.start_on.errors:
            self.start_on.errors.append(_l("Vul de startdatum in."))
            ok = False
        end, start = self.planned_end_on.data, self.start_on.data
        if end and start and end < start:
            self.planned_end_on.errors.append(_l("De einddatum ligt voor de startdatum."))
            ok = False
        return ok


class StartForm(FlaskForm):
    start_on = DateField(_l("Startdatum"), validators=[InputRequired(_l("Vul de startdatum in."))])
    # The first meeting (may stay empty): the participant gets a message with when and where.
    first_meeting_on = DateField(_l("Eerste afspraak: datum"), validators=[Optional()])
    first_meeting_time = TimeField(_l("Tijd"), validators=[Optional()])
    first_meeting_place = StringField(_l("Waar"), filters=[strip],
                                      validators=[Optional(), one_line, Length(max=200)])
    submit = SubmitField(_l("Start de koppeling"))

    def first_meeting_at(self):
        """The first meeting as an aware UTC moment, or None when not filled in."""
        day, at = self.first_meeting_on.data, self.first_meeting_time.data
        if day is None or at is None:
            return None
        return to_utc(day, at.hour, at.minute)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        day, at = self.first_meeting_on.data, self.first_meeting_time.data
        if self.first_meeting_on.errors or self.first_meeting_time.errors:
            return False
        if day is None and (at is not None or self.first_meeting_place.data):
            self.first_meeting_on.errors.append(
                _l("Vul ook de datum van de eerste afspraak in."))
            return False
        if day is not None and at is None:
            self.first_meeting_time.errors.append(_l("Vul ook de tijd van de eerste afspraak in."))
            return False
        moment = self.first_meeting_at()
        if moment is not None and moment <= utcnow():
            self.first_meeting_on.errors.append(
                _l("Deze datum en tijd zijn al voorbij. Kies een moment dat nog komt."))
            return False
        if moment is not None and self.start_on.data and day < self.start_on.data:
            self.first_meeting_on.errors.append(
                _l("De eerste afspraak ligt voor de startdatum."))
            return False
        return ok


class EndMatchForm(FlaskForm):
    reason = SelectField(_l("Waarom stopt de koppeling?"), choices=[],
                         validators=[InputRequired(_l("Kies een reden."))])
    note = TextAreaField(_l("Toelichting (mag leeg blijven)"), filters=[strip],
                         validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Koppeling beëindigen"))


class ButtonForm(FlaskForm):
    submit = SubmitField(_l("Doen"))


class OfferForm(FlaskForm):
    location_id = SelectField(_l("Locatie"), coerce=int, choices=[],
                              validators=[InputRequired(_l("Kies een locatie."))])
    kind = SelectField(_l("Soort aanbod"), choices=[],
                       validators=[InputRequired(_l("Kies de soort."))])
    name = StringField(_l("Naam"), filters=[strip], validators=[one_line,
        DataRequired(_l("Vul een naam in, bijvoorbeeld: Klik & Tik dinsdagochtend.")),
        Length(max=120)])
    domain = SelectField(_l("Gaat over"), choices=select_choices(choices.OFFER_DOMAIN))
    formal = BooleanField(_l("Formeel onderwijs (ROC, taalschool)"))
    capacity = IntegerField(_l("Aantal plaatsen"), default=10, validators=[
        InputRequired(_l("Vul het aantal plaatsen in.")),
        NumberRange(min=0, max=500, message=_l("Kies een aantal van 0 tot 500."))])
    schedule = StringField(_l("Wanneer (bijvoorbeeld: dinsdag 10.00 tot 12.00 uur)"),
                           filters=[strip], validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("Loopt nu (nieuwe deelnemers kunnen instromen)"), default=True)
    submit = SubmitField(_l("Opslaan"))


class EnrollForm(FlaskForm):
    # Not checked against the choices: the view looks the id up within the user's scope,
    # so an edited value answers 404 instead of a form error.
    offer_id = SelectField(_l("Aanbod"), coerce=int, choices=[], validate_choice=False,
                           validators=[InputRequired(_l("Kies een aanbod."))])
    start_on = DateField(_l("Begint op"), validators=[InputRequired(_l("Vul de datum in."))])
    submit = SubmitField(_l("Inschrijven"))


class GoalResultForm(Form):
    goal_id = HiddenField(validators=[InputRequired()])
    result = RadioField(_l("Resultaat"), choices=select_choices(choices.GOAL_RESULT),
                        validators=[InputRequired(_l("Kies of het doel is behaald."))])

    def validate_goal_id(self, field):
        if not (field.data or "").isdigit():
            raise ValidationError("bad goal id")


class EndTrajectoryForm(FlaskForm):
    outcome = RadioField(_l("Hoe eindigt het traject?"),
                         choices=select_choices(choices.TRAJECTORY_OUTCOME),
                         validators=[InputRequired(_l("Kies hoe het traject eindigt."))])
    end_reason = SelectField(_l("Reden van afsluiten"), choices=[],
                             validators=[InputRequired(_l("Kies een reden."))])
    goals = FieldList(FormField(GoalResultForm))
    confirm = BooleanField(_l("Ja, sluit het traject af. Lopende koppelingen en groepen "
                              "stoppen dan ook."),
                           validators=[DataRequired(_l("Vink aan dat u het traject wilt "
                                                       "afsluiten."))])
    submit = SubmitField(_l("Traject afsluiten"))

    def goal_results(self) -> dict[int, str]:
        return {int(entry.goal_id.data): entry.result.data for entry in self.goals}
