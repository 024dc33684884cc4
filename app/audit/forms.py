"""The filters of the audit log page (GET, so no CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField
from wtforms.validators import Length, Optional


class DayField(DateField):
    """A date as the browser sends it (2026-11-20) or as people type it (20-11-2026), with
    a Dutch message for anything else."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%d", "%d-%m-%Y"], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Vul een datum in, bijvoorbeeld 20-11-2026.")) from None


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    persoon = SearchField(_l("Deelnemer (naam of nummer)"),
                          validators=[Optional(), Length(max=100, message=_l(
                              "Gebruik hoogstens 100 tekens."))])
    gebruiker = SelectField(_l("Gebruiker"), choices=[], validate_choice=False)
    actie = SelectField(_l("Wat"), choices=[], validate_choice=False)
    van = DayField(_l("Vanaf"), validators=[Optional()])
    tot = DayField(_l("Tot en met"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.van.data and self.tot.data and self.van.data > self.tot.data:
            self.tot.errors.append(_l("Deze datum ligt vóór de datum bij ‘Vanaf’."))
            ok = False
        return ok
