"""Forms of the privacy pages (erasure)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.core.forms import strip


class ErasureRequestForm(FlaskForm):
    submit = SubmitField(_l("Ja, vraag het wissen aan"))


class ErasureDecisionForm(FlaskForm):
    note = TextAreaField(_l("Waarom niet? (alleen bij weigeren)"), filters=[strip],
                         validators=[Optional(), Length(max=300, message=_l(
                             "Schrijf het in hoogstens 300 tekens."))])
    confirm = SubmitField(_l("Bevestigen en nu wissen"))
    refuse = SubmitField(_l("Weigeren"))
