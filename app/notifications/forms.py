from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SubmitField
from wtforms.validators import InputRequired


class PreferenceForm(FlaskForm):
    email_preference = RadioField(
        _l("Wilt u e-mail van Houvast?"),
        choices=[
            SelectChoice(value="digest",
                         label=_l("Ja, één e-mail per werkdag met wat er te doen is")),
            SelectChoice(value="none", label=_l("Nee, geen e-mail. Ik kijk zelf bij Berichten")),
        ],
        validators=[InputRequired(_l("Kies een van de twee."))],
    )
    submit = SubmitField(_l("Opslaan"))
