from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    HiddenField,
    IntegerField,
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
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.core.choices import (
    ANY_CONTACT_CHANNELS,
    CHECKIN_KIND,
    CONTACT_CHANNEL,
    FOLLOWUP_EVENT,
    NOT_FOR_RULES,
    OFFSET_UNIT,
    RULE_ASSIGNEE,
)
from app.core.forms import one_line, select_choices, strip


class CompleteCheckInForm(FlaskForm):
    """The two taps: an outcome button (its value) and, if wanted, a note."""

    outcome = SelectField(
        _l("Hoe ging het?"),
        choices=select_choices({"going_well": _l("Gaat goed"), "concerns": _l("Zorgen"),
                                "may_stop": _l("Dreigt te stoppen"),
                                "not_reached": _l("Niet bereikt")}),
        validators=[InputRequired(_l("Kies hoe het ging."))],
    )
    note = TextAreaField(_l("Notitie (mag leeg blijven)"),
                         validators=[Optional(), Length(max=2000)])


# "manual" is planned by hand ("Contactmoment plannen"), never by a rule.
RULE_CHECKIN_KINDS = {k: v for k, v in CHECKIN_KIND.items() if k not in NOT_FOR_RULES}

# Only these events have a match, and so a volunteer to give the check-in to.
EVENTS_WITH_A_VOLUNTEER = ("match_started", "match_ended")


class RuleForm(FlaskForm):
    """`event`: the event of the rule being edited (a rule's event does not change)."""

    name = StringField(_l("Naam"), validators=[one_line, DataRequired(_l("Vul een naam in.")),
                                               Length(max=160)])
    offset = IntegerField(
        _l("Hoe lang erna"),
        validators=[InputRequired(_l("Vul een getal in.")),
                    NumberRange(min=0, max=730, message=_l("Kies een getal van 0 tot 730."))],
    )
    offset_unit = SelectField(_l("Eenheid"), choices=select_choices(OFFSET_UNIT))
    assignee = SelectField(_l("Voor wie"), choices=select_choices(RULE_ASSIGNEE))
    repeat_every = IntegerField(
        _l("Daarna elke … dagen opnieuw"),
        validators=[Optional(),
                    NumberRange(min=1, max=365, message=_l("Kies een getal van 1 tot 365."))],
    )
    active = BooleanField(_l("Deze regel staat aan"))

    def __init__(self, *args, event: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._event = event

    def rule_event(self) -> str | None:
        return self._event

    def validate_assignee(self, field):
        # A volunteer's rule on any other event would silently plan nothing.
        if field.data == "volunteer" and self.rule_event() not in EVENTS_WITH_A_VOLUNTEER:
            raise ValidationError(_l("Alleen bij een koppeling is er een vrijwilliger. Kies "
                                     "hier de eigenaar van het traject."))


class NewRuleForm(RuleForm):
    """A rule of the admin's own: also on which event it fires and what it plans."""

    event = SelectField(_l("Wanneer"), choices=select_choices(FOLLOWUP_EVENT, blank=_l("Kies…")),
                        validators=[DataRequired(_l("Kies wanneer de regel een contactmoment "
                                                    "plant."))])
    checkin_kind = SelectField(_l("Soort contactmoment"),
                               choices=select_choices(RULE_CHECKIN_KINDS, blank=_l("Kies…")),
                               validators=[DataRequired(_l("Kies het soort contactmoment."))])

    def rule_event(self) -> str | None:
        return self.event.data


FORM_KEY_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


class LogContactForm(FlaskForm):
    """"Contact vastleggen" on any open trajectory."""

    form_key = HiddenField(validators=[Optional(), Regexp(FORM_KEY_PATTERN)])
    on = DateField(_l("Wanneer was het contact?"),
                   validators=[InputRequired(_l("Kies een datum."))])
    channel = RadioField(_l("Hoe was het contact?"),
                         choices=select_choices((code, CONTACT_CHANNEL[code])
                                                for code in ANY_CONTACT_CHANNELS),
                         validators=[InputRequired(_l("Kies hoe het contact was."))],
                         invalid_choice_message=_l("Kies hoe het contact was."))
    reached = RadioField(_l("Hebt u de deelnemer gesproken?"),
                         choices=select_choices({"yes": _l("Ja, gesproken"),
                                                 "no": _l("Nee, niet bereikt")}),
                         validators=[InputRequired(_l("Kies of u de deelnemer hebt "
                                                      "gesproken."))],
                         invalid_choice_message=_l("Kies of u de deelnemer hebt gesproken."))
    note = TextAreaField(_l("Notitie (kort, mag leeg blijven)"), filters=[strip],
                         validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Opslaan"))

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._today = today

    def validate_on(self, field):
        if self._today is not None and field.data is not None and field.data > self._today:
            raise ValidationError(_l("Deze datum ligt in de toekomst. Kies vandaag of een "
                                     "dag eerder."))


class PlanCheckInForm(FlaskForm):
    """"Contactmoment plannen": a check-in by hand. `today` refuses a date in the past."""

    form_key = HiddenField(validators=[Optional(), Regexp(FORM_KEY_PATTERN)])
    due_on = DateField(_l("Wanneer?"), validators=[InputRequired(_l("Kies een datum."))])
    assignee = SelectField(_l("Voor wie?"), coerce=str,
                           invalid_choice_message=_l("Kies iemand uit de lijst."),
                           validators=[DataRequired(_l("Kies voor wie het contactmoment is."))])
    topic = StringField(_l("Waarover?"), filters=[strip],
                        validators=[one_line,
                                    DataRequired(_l("Schrijf kort op waarover het gaat.")),
                                    Length(max=200, message=_l("Maximaal 200 tekens."))])
    submit = SubmitField(_l("Contactmoment plannen"))

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._today = today

    def validate_due_on(self, field):
        if self._today is not None and field.data is not None and field.data < self._today:
            raise ValidationError(_l("Deze datum is al voorbij. Kies vandaag of een dag "
                                     "later."))


class NextStepFilterForm(Form):
    """Which location's "zonder volgende stap" (GET, so no CSRF)."""

    location = SelectField(_l("Locatie"), choices=[], validate_choice=False)


def _threshold_field(threshold) -> IntegerField:
    from app.core.choices import THRESHOLD_UNIT

    unit = THRESHOLD_UNIT[threshold.unit]
    return IntegerField(
        threshold.label,
        validators=[
            InputRequired(_l("Vul een getal in.")),
            NumberRange(min=threshold.minimum, max=threshold.maximum,
                        message=_l("Kies een getal van %(min)s tot %(max)s %(unit)s.",
                                   min=threshold.minimum, max=threshold.maximum, unit=unit)),
        ],
    )


class ThresholdsForm(FlaskForm):
    """One number field per threshold of app.core.followup.THRESHOLDS (added below), and the
    values in force when the page was opened: a save does not overwrite what another admin
    saved in between."""

    opened = HiddenField(validators=[Optional(), Regexp(r"^[a-z_]+=\d+(;[a-z_]+=\d+)*$")])


def _add_threshold_fields() -> None:
    from app.core.followup import THRESHOLDS

    for threshold in THRESHOLDS:
        setattr(ThresholdsForm, threshold.key, _threshold_field(threshold))


_add_threshold_fields()


def encode_values(values: dict[str, int]) -> str:
    return ";".join(f"{key}={value}" for key, value in sorted(values.items()))


def decode_values(text: str | None) -> dict[str, int] | None:
    if not text:
        return None
    return {key: int(value) for key, value in (pair.split("=") for pair in text.split(";"))}
