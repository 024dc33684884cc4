from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, ValidationError
from wtforms.validators import Optional

from app.core.forms import MultiCheckboxField


class PeriodForm(Form):
    """Period and locations of the dashboard and the exports (GET, so no CSRF)."""

    start = DateField(_l("Van"), validators=[Optional()])
    end = DateField(_l("Tot en met"), validators=[Optional()])
    location = MultiCheckboxField(_l("Locaties (niets gekozen: alle)"), choices=[], coerce=int,
                                 validate_choice=False)

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("De einddatum ligt voor de begindatum."))
