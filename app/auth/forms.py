from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from app.auth.passwords import MIN_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(_l("Vul uw e-mailadres in."))])
    password = PasswordField(_l("Wachtwoord"),
                             validators=[DataRequired(_l("Vul uw wachtwoord in."))])
    submit = SubmitField(_l("Inloggen"))


class SetPasswordForm(FlaskForm):
    """`user`: whose password it is (the password may not be their e-mail or name)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    password = PasswordField(
        _l("Nieuw wachtwoord"),
        validators=[
            DataRequired(_l("Kies een wachtwoord.")),
            Length(min=MIN_LENGTH, max=200,
                   message=_l("Kies een wachtwoord van minstens %(n)s tekens.", n=MIN_LENGTH)),
        ],
    )
    confirm = PasswordField(
        _l("Herhaal het wachtwoord"),
        validators=[EqualTo("password", _l("De twee wachtwoorden zijn niet gelijk."))],
    )
    submit = SubmitField(_l("Wachtwoord opslaan"))
