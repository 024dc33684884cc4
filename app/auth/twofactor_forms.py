"""The forms of two-factor sign-in and of the security settings (issue 19)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.auth.security_settings import BY_KEY


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _code_field(label):
    # Long enough for a recovery code with spaces; no more (every check costs argon2).
    return StringField(label, filters=[_strip], validators=[
        DataRequired(_l("Vul de code in.")),
        Length(max=30, message=_l("Dit is geen code. Een code heeft 6 cijfers."))])


class CodeForm(FlaskForm):
    code = _code_field(_l("Code"))
    trust = BooleanField(_l("Vertrouw dit apparaat 30 dagen"))
    submit = SubmitField(_l("Inloggen"))


class ConfirmSetupForm(FlaskForm):
    code = _code_field(_l("De code die uw app nu laat zien"))
    submit = SubmitField(_l("Aanzetten"))


class CurrentCodeForm(FlaskForm):
    code = _code_field(_l("Code uit uw app (of een herstelcode)"))
    submit = SubmitField(_l("Doorgaan"))


_IDLE = BY_KEY["session_idle_minutes"]


class SecuritySettingsForm(FlaskForm):
    two_factor_admin = BooleanField(BY_KEY["two_factor_admin"].label)
    two_factor_coordinator = BooleanField(BY_KEY["two_factor_coordinator"].label)
    two_factor_staff = BooleanField(BY_KEY["two_factor_staff"].label)
    session_idle_minutes = IntegerField(_IDLE.label, validators=[
        InputRequired(_l("Vul een aantal minuten in.")),
        NumberRange(min=_IDLE.minimum, max=_IDLE.maximum,
                    message=_l("Kies een aantal minuten van %(min)s tot en met %(max)s.",
                               min=_IDLE.minimum, max=_IDLE.maximum))])
    submit = SubmitField(_l("Opslaan"))
