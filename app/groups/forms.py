from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, SubmitField, TimeField
from wtforms.validators import InputRequired, Optional

from app.core import choices
from app.core.forms import select_choices

ATTENDANCE_LABELS = {
    "present": _l("Aanwezig"),
    "excused": _l("Afgemeld"),
    "absent": _l("Niet gekomen"),
}
# The weekday codes of the intake's grid, in Python's order (0 = Monday).
WEEKDAY_CHOICES = [(n, label) for n, label in enumerate(choices.WEEKDAYS.values())]


class ScheduleForm(FlaskForm):
    weekday = SelectField(_l("Dag van de week"), coerce=int,
                          choices=select_choices(WEEKDAY_CHOICES),
                          validators=[InputRequired(_l("Kies een dag van de week."))])
    at = TimeField(_l("Begint om (mag leeg blijven)"), validators=[Optional()])
    starts_on = DateField(_l("Eerste bijeenkomst"),
                          validators=[InputRequired(_l("Vul de eerste datum in."))])
    ends_on = DateField(_l("Laatste bijeenkomst"),
                        validators=[InputRequired(_l("Vul de laatste datum in."))])
    submit = SubmitField(_l("Rooster opslaan"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        start, end = self.starts_on.data, self.ends_on.data
        if start and end and end < start and not self.ends_on.errors:
            self.ends_on.errors.append(_l("De laatste datum ligt voor de eerste datum."))
            ok = False
        return ok


class ExtraMeetingForm(FlaskForm):
    held_on = DateField(_l("Datum van de extra bijeenkomst"),
                        validators=[InputRequired(_l("Vul de datum in."))])
    at = TimeField(_l("Begint om (mag leeg blijven)"), validators=[Optional()])
    submit = SubmitField(_l("Bijeenkomst toevoegen"))


class AttendanceForm(FlaskForm):
    # The three buttons of a register row post this field; no radio buttons on the page.
    status = RadioField(_l("Aanwezigheid"), choices=select_choices(ATTENDANCE_LABELS),
                        validators=[InputRequired(_l("Kies aanwezig, afgemeld of niet "
                                                     "gekomen."))])


def _id_or_none(value):
    """A record id from a select with an empty first choice."""
    return int(value) if str(value).isdigit() else None


class VolunteerLinkForm(FlaskForm):
    # Looked up within the coordinator's scope by the view (an edited id answers 404).
    volunteer_id = SelectField(_l("Vrijwilliger"), coerce=_id_or_none, choices=[],
                               validate_choice=False,
                               validators=[InputRequired(_l("Kies een vrijwilliger."))])
    submit = SubmitField(_l("Toevoegen"))
