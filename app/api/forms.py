from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from app.core.forms import strip


class TokenForm(FlaskForm):
    """A new API token; the view fills `partner_id.choices`."""

    partner_id = SelectField(_l("Partner"), coerce=int,
                             validators=[InputRequired(_l("Kies een partner."))])
    name = StringField(_l("Waarvoor is het token?"), filters=[strip], validators=[
        DataRequired(_l("Geef het token een naam, bijvoorbeeld het systeem van de partner.")),
        Length(max=120)])
    submit = SubmitField(_l("Token maken"))
