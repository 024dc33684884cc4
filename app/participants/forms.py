from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from app.core import choices
from app.core.forms import one_line, select_choices
from app.core.phone import PhoneField, PhoneNumber
from app.core.records import version_field
from app.participants.service import referrer_name


class ParticipantForm(FlaskForm):
    version = version_field()
    first_name = StringField(_l("Voornaam"), validators=[
        DataRequired(_l("Vul de voornaam in.")), Length(max=80), one_line])
    last_name = StringField(_l("Achternaam"), validators=[Optional(), Length(max=120), one_line])
    phone = PhoneField(_l("Telefoonnummer"),
                        validators=[Optional(), Length(max=40), PhoneNumber()])
    email = EmailField(_l("E-mailadres"), validators=[
        Optional(), Length(max=254), Email(_l("Dit e-mailadres klopt niet."))])
    preferred_channel = SelectField(_l("Hoe neemt u het liefst contact op?"),
                                    choices=select_choices(choices.PREFERRED_CHANNEL))
    # The Dutch text always goes; a translation follows where the admin added one.
    message_language = SelectField(_l("Berichten ook in deze taal"),
                                   choices=select_choices(choices.MESSAGE_LANGUAGE), default="",
                                   # Never chosen (None) counts as "Alleen Nederlands", also
                                   # when a form is posted without this field.
                                   validate_choice=False, validators=[AnyOf(
                                       [*choices.MESSAGE_LANGUAGE, None],
                                       message=_l("Kies een taal uit de lijst."))])
    birth_year = IntegerField(_l("Geboortejaar"), validators=[Optional()])
    language_background = SelectField(_l("Nederlands als eerste of tweede taal"),
                                      choices=select_choices(choices.LANGUAGE_BACKGROUND))
    native_language = StringField(_l("Moedertaal"), validators=[Optional(), Length(max=80)])
    other_languages = StringField(_l("Andere talen die de deelnemer spreekt"),
                                  validators=[Optional(), Length(max=200)])
    # The empty choice first: without it a browser shows (and posts back) "man" for a person
    # whose sex was never recorded.
    sex = SelectField(_l("Geslacht (mag leeg blijven)"), choices=select_choices(choices.SEX),
                      default="")
    postcode4 = StringField(_l("Postcode (alleen de 4 cijfers)"), validators=[
        Optional(),
        Regexp(r"^\d{4}$", message=_l(
            "Vul alleen de 4 cijfers van de postcode in, bijvoorbeeld 3511.")),
    ])
    found_via = SelectField(_l("Hoe kwam de deelnemer bij het Taalhuis?"), choices=[])
    submit = SubmitField(_l("Gegevens opslaan"))

    def __init__(self, *args, found_via_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.found_via.choices = select_choices(found_via_choices, blank=_l("Niet ingevuld"))

    def validate_birth_year(self, field):
        # Only the year, never a full birth date (minimal data).
        if field.data is not None and not 1900 <= field.data <= date.today().year:
            raise ValidationError(_l("Vul een geboortejaar in, bijvoorbeeld 1985."))


YES_NO = [SelectChoice(value="yes", label=_l("Ja")), SelectChoice(value="no", label=_l("Nee"))]


class ConsentForm(FlaskForm):
    kind = SelectField(_l("Waarvoor"), choices=select_choices(choices.CONSENT_KIND))
    # Only for "Verwijzer hoort hoe het gaat": that consent is about one referrer. 0: none.
    referral_id = SelectField(_l("Over welke verwijzer?"), coerce=int, choices=[],
                              invalid_choice_message=_l("Kies een verwijzer uit de lijst."),
                              invalid_value_message=_l("Kies een verwijzer uit de lijst."))
    given = RadioField(_l("Geeft de deelnemer toestemming?"), choices=YES_NO,
                       validators=[InputRequired(_l("Kies ja of nee."))])
    method = SelectField(_l("Hoe is de toestemming gegeven?"),
                         choices=select_choices(choices.CONSENT_METHOD, blank=_l("Kies")),
                         validators=[InputRequired(_l("Kies hoe de toestemming is gegeven."))])
    note = TextAreaField(_l("Opmerking (mag leeg blijven)"),
                         validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Toestemming vastleggen"))

    def __init__(self, *args, referrals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.referrals = {r.id: r for r in referrals}
        self.referral_id.choices = select_choices(
            [(0, _l("Kies (alleen bij 'Verwijzer hoort hoe het gaat')"))]
            + [(r.id, label) for r, label in referral_labels(referrals)])
        if self.referral_id.data is None:
            self.referral_id.data = 0

    @property
    def referral(self):
        """The chosen referral for a share decision; None for the other kinds."""
        if self.kind.data != "share_with_referrer":
            return None
        return self.referrals.get(self.referral_id.data)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.kind.data == "share_with_referrer" and self.referral is None:
            if not self.referrals:
                self.kind.errors.append(_l(
                    "Deze deelnemer heeft geen verwijzer. Er is niemand om iets aan te "
                    "vertellen."))
            elif not self.referral_id.errors:
                self.referral_id.errors.append(_l(
                    "Kies over welke verwijzer dit gaat. Een ja of nee geldt voor één "
                    "verwijzer."))
            ok = False
        return ok


def referral_labels(referrals) -> list[tuple]:
    """(referral, label): the referrer, and the date when one referrer referred twice."""
    names = [referrer_name(r) for r in referrals]
    return [(r, name if names.count(name) == 1
             else f"{name} ({r.referred_on.strftime('%d-%m-%Y')})")
            for r, name in zip(referrals, names, strict=True)]


class OwnerForm(FlaskForm):
    owner_id = SelectField(_l("Eigenaar"), choices=[])
    submit = SubmitField(_l("Eigenaar opslaan"))


class HandoverForm(FlaskForm):
    """The participant list's bulk action: the ticked trajectories to one coordinator."""

    new_owner_id = SelectField(_l("Overdragen aan"), choices=[],
                               validators=[InputRequired(_l("Kies aan wie u overdraagt."))])
    submit = SubmitField(_l("Overdragen"))


class MoveForm(FlaskForm):
    """Moving a trajectory to another location."""

    # Where the trajectory was when the form was opened: a second post of the same form
    # (a double click) finds it moved already and does nothing more.
    from_location_id = HiddenField()
    location_id = SelectField(_l("Nieuwe locatie"), choices=[],
                              validators=[InputRequired(_l("Kies de nieuwe locatie."))])
    owner_id = SelectField(_l("Eigenaar op de nieuwe locatie"), choices=[],
                           validate_choice=False)
    reason = TextAreaField(_l("Waarom verhuist het traject?"), validators=[
        DataRequired(_l("Schrijf op waarom het traject verhuist.")), Length(max=500)])
    submit = SubmitField(_l("Traject verhuizen"))


class ListFilterForm(Form):
    """Search and filters of the participant list (GET, so no CSRF)."""

    q = StringField(_l("Zoek op naam of telefoonnummer"), validators=[Length(max=100)])
    status = SelectField(_l("Status"), choices=[], validate_choice=False)
    location = SelectField(_l("Locatie"), choices=[], validate_choice=False)
    owner = SelectField(_l("Eigenaar"), choices=[], validate_choice=False)
