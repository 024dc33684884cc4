from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app.auth.passwords import MIN_LENGTH, password_problem

# Shown under every field where a password is chosen (B1, no rules of character kinds).
PASSWORD_HINT = _l("Minstens %(n)s tekens. Een zin van vier of vijf losse woorden die alleen "
                   "u kent, is sterk en makkelijk te onthouden. Gebruik dit wachtwoord nergens "
                   "anders.", n=MIN_LENGTH)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(_l("Vul uw e-mailadres in."))])
    password = PasswordField(_l("Wachtwoord"),
                             validators=[DataRequired(_l("Vul uw wachtwoord in."))])
    submit = SubmitField(_l("Inloggen"))


def _new_password_field(label):
    # The length check first gives the plain message; the rules in validate_password follow.
    return PasswordField(label, validators=[
        DataRequired(_l("Kies een wachtwoord.")),
        Length(min=MIN_LENGTH,
               message=_l("Kies een wachtwoord van minstens %(n)s tekens.", n=MIN_LENGTH)),
    ])


def _confirm_field(label):
    return PasswordField(label, validators=[
        EqualTo("password", _l("De twee wachtwoorden zijn niet gelijk."))])


class _NewPasswordForm(FlaskForm):
    """`user`: whose password it is (the password may not be their e-mail or name)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_password(self, field):
        if field.errors:  # too short already said; one message at a time
            return
        problem = password_problem(field.data or "", email=getattr(self.user, "email", None),
                                   name=getattr(self.user, "name", None))
        if problem:
            raise ValidationError(problem)


class SetPasswordForm(_NewPasswordForm):
    password = _new_password_field(_l("Nieuw wachtwoord"))
    confirm = _confirm_field(_l("Herhaal het wachtwoord"))
    submit = SubmitField(_l("Wachtwoord opslaan"))


class ChangePasswordForm(_NewPasswordForm):
    """On the user's own page: the current password first, so a borrowed signed-in browser
    cannot take the account over."""

    current = PasswordField(_l("Huidig wachtwoord"),
                            validators=[DataRequired(_l("Vul uw huidige wachtwoord in."))])
    password = _new_password_field(_l("Nieuw wachtwoord"))
    confirm = _confirm_field(_l("Herhaal het nieuwe wachtwoord"))
    submit = SubmitField(_l("Wachtwoord veranderen"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=[
        DataRequired(_l("Vul uw e-mailadres in.")),
        Length(max=254, message=_l("Dit e-mailadres is te lang.")),
    ])
    submit = SubmitField(_l("Stuur mij een link"))
