import re
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from app.core import choices
from app.core.forms import one_line, select_choices, strip
from app.core.phone import PhoneField, PhoneNumber
from app.referrals.models import ReferralResult

# The oldest and youngest plausible learner: the Taalhuis is for adults.
OLDEST_AGE, YOUNGEST_AGE = 105, 16


class ReferralForm(FlaskForm):
    """Registering a referral. The view fills the choices and `today` before validating."""

    first_name = StringField(_l("Voornaam"), filters=[strip], validators=[
        DataRequired(_l("Vul de voornaam in.")), Length(max=80), one_line])
    last_name = StringField(_l("Achternaam"), filters=[strip], validators=[
        DataRequired(_l("Vul de achternaam in.")), Length(max=120), one_line])
    phone = PhoneField(_l("Telefoonnummer"), filters=[strip],
                        validators=[Length(max=40), PhoneNumber()])
    email = EmailField(_l("E-mailadres (als de persoon dat heeft)"), filters=[strip],
                       validators=[Optional(), Length(max=254),
                                   Email(_l("Dit e-mailadres klopt niet. "
                                            "Kijk het na of laat het leeg."))])
    preferred_channel = SelectField(_l("Hoe wil de persoon het liefst contact?"),
                                    choices=select_choices(choices.PREFERRED_CHANNEL),
                                    default="phone")
    birth_year = StringField(_l("Geboortejaar"), filters=[strip])
    language_background = RadioField(_l("Is Nederlands de eerste taal?"),
                                      choices=select_choices(choices.LANGUAGE_BACKGROUND),
                                      default="unknown")
    native_language = StringField(_l("Moedertaal"), filters=[strip],
                                  validators=[Length(max=80)])
    other_languages = StringField(_l("Andere talen die de persoon spreekt"), filters=[strip],
                                  validators=[Length(max=200)])
    found_via = SelectField(_l("Hoe kwam de persoon bij het Taalhuis?"), choices=[])

    location_id = SelectField(_l("Vestiging"), coerce=int, choices=[],
                              invalid_choice_message=_l("Kies een vestiging."),
                              invalid_value_message=_l("Kies een vestiging."))
    partner_id = SelectField(_l("Verwijzer (organisatie)"), coerce=int, choices=[])
    partner_contact_id = SelectField(_l("Contactpersoon bij de verwijzer"), coerce=int,
                                     choices=[])
    referrer_name = StringField(_l("Naam verwijzer"), filters=[strip],
                                validators=[Length(max=120), one_line])
    referrer_phone = PhoneField(_l("Telefoon verwijzer"), filters=[strip],
                                 validators=[Length(max=40), PhoneNumber()])
    referrer_email = EmailField(_l("E-mail verwijzer"), filters=[strip],
                                validators=[Optional(), Length(max=254),
                                            Email(_l("Dit e-mailadres klopt niet."))])

    question = TextAreaField(_l("Wat is de vraag? (in gewone woorden)"), filters=[strip],
                             validators=[DataRequired(_l("Schrijf kort op wat de persoon wil "
                                                         "leren of waar hulp bij nodig is.")),
                                         Length(max=2000)])
    channel = SelectField(_l("Hoe kwam de aanmelding binnen?"),
                          choices=select_choices(choices.REFERRAL_CHANNEL), default="phone")
    referred_on = DateField(_l("Datum van aanmelding"),
                            validators=[InputRequired(_l("Vul de datum van aanmelding in."))])
    best_moment = StringField(_l("Wanneer kunnen we het beste bellen?"), filters=[strip],
                              validators=[Length(max=200)])

    share_with_referrer = RadioField(
        _l("Mag de verwijzer horen hoe het gaat?"),
        choices=select_choices([("yes", _l("Ja, dat is goed")), ("no", _l("Nee, liever niet"))]),
        default="no")
    # A purpose of its own: without a "ja" no SMS, WhatsApp or e-mail goes to the person.
    # Not answering leaves it "nog niet gevraagd" (it can be asked at the intake).
    messages_consent = RadioField(
        _l("Mag het Taalhuis de persoon berichten sturen (sms, WhatsApp of e-mail)?"),
        choices=select_choices([("yes", _l("Ja, dat is goed")), ("no", _l("Nee, liever niet")),
                                ("", _l("Nog niet gevraagd"))]),
        default="", validators=[Optional()])
    consent_method = SelectField(_l("Hoe gaf de persoon toestemming?"),
                                 choices=select_choices(choices.CONSENT_METHOD), default="verbal")
    processing_consent = BooleanField(
        _l("De persoon vindt het goed dat het Taalhuis deze gegevens vastlegt."),
        validators=[DataRequired(_l("Vraag eerst of de persoon dit goed vindt. Zonder "
                                    "toestemming kunnen we de aanmelding niet opslaan."))])

    # What the user chose after the duplicate warning: "new", "attach:<participant id>" or
    # "add_to:<trajectory id>" (a second referral on the person's open trajectory here).
    decision = HiddenField(validators=[Optional(), Regexp(r"^(new|attach:\d+|add_to:\d+)$")])
    # One per opened form (the view fills it): a second post of the same form is the same
    # referral, not a new one.
    form_key = HiddenField(validators=[Optional(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    submit = SubmitField(_l("Aanmelding opslaan"))

    today: date
    # contact id -> partner id, so a contact of another partner is refused without a query.
    contact_partner: dict[int, int]

    def validate_birth_year(self, field):
        if not field.data:
            return
        year = self.today.year
        if not re.fullmatch(r"\d{4}", field.data):
            raise ValidationError(_("Vul het geboortejaar in met vier cijfers, "
                                    "bijvoorbeeld 1980."))
        if not year - OLDEST_AGE <= int(field.data) <= year - YOUNGEST_AGE:
            raise ValidationError(_(
                "Dit geboortejaar kan niet kloppen. Kies een jaar tussen %(first)s en %(last)s.",
                first=year - OLDEST_AGE, last=year - YOUNGEST_AGE))

    def validate_referred_on(self, field):
        if field.data is None:
            return
        if field.data > self.today:
            raise ValidationError(_("De datum van aanmelding kan niet in de toekomst liggen."))
        if field.data < self.today - timedelta(days=365):
            raise ValidationError(_("Deze datum is meer dan een jaar geleden. "
                                    "Kijk de datum na."))

    def validate_partner_contact_id(self, field):
        if field.data and self.contact_partner.get(field.data) != self.partner_id.data:
            raise ValidationError(_("Deze contactpersoon hoort niet bij de gekozen "
                                    "verwijzer."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Cross-field rules: someone must be reachable, and consent to share needs a referrer.
        has_referrer = bool(self.partner_id.data or self.referrer_name.data)
        if not (self.phone.data or self.email.data) and not (
                self.preferred_channel.data == "via_referrer" and has_referrer):
            self.phone.errors.append(_(
                "Vul een telefoonnummer of e-mailadres in, zodat we de persoon kunnen "
                "bereiken. Loopt het contact via de verwijzer? Kies dat dan bij 'Hoe wil de "
                "persoon het liefst contact?'."))
            ok = False
        if self.preferred_channel.data == "via_referrer" and not has_referrer:
            self.preferred_channel.errors.append(_(
                "Er is geen verwijzer ingevuld. Kies een andere manier van contact."))
            ok = False
        if self.share_with_referrer.data == "yes" and not has_referrer:
            self.share_with_referrer.errors.append(_(
                "Er is geen verwijzer. Kies 'Nee' of vul de verwijzer in."))
            ok = False
        return ok


CONTACT_RESULTS = {
    ReferralResult.REACHED: _l("Bereikt: we hebben gesproken"),
    ReferralResult.NOT_REACHED: _l("Niet bereikt (geen gehoor, geen antwoord)"),
    ReferralResult.DECLINED: _l("Bereikt, maar wil geen hulp van het Taalhuis"),
    ReferralResult.FORWARDED: _l("Bereikt, en doorverwezen naar een andere organisatie"),
}


class ContactAttemptForm(FlaskForm):
    result = RadioField(_l("Wat was het resultaat?"), choices=select_choices(CONTACT_RESULTS),
                        invalid_choice_message=_l("Kies wat het resultaat was."))
    channel = SelectField(_l("Hoe?"), choices=select_choices(choices.CONTACT_CHANNEL),
                          default="phone")
    forwarded_to = StringField(_l("Naar welke organisatie?"), filters=[strip],
                               validators=[one_line, Length(max=200)])
    note = TextAreaField(_l("Notitie (kort)"), filters=[strip], validators=[Length(max=2000)])
    submit = SubmitField(_l("Opslaan"))

    def validate_forwarded_to(self, field):
        if self.result.data == ReferralResult.FORWARDED and not field.data:
            raise ValidationError(_("Schrijf op naar welke organisatie de persoon gaat."))


class AttachForm(FlaskForm):
    """Attach a trajectory to a person already known; the button carries the person's id."""

    participant_id = HiddenField(validators=[InputRequired(), Regexp(r"^\d{1,10}$")])


class PlanIntakeForm(FlaskForm):
    """The view fills the choices and `hosts` ({location id: user ids}) before validating."""

    day = DateField(_l("Datum"), validators=[InputRequired(_l("Kies een datum."))])
    time = TimeField(_l("Tijd"), validators=[InputRequired(_l("Kies een tijd."))])
    location_id = SelectField(_l("Vestiging"), coerce=int, choices=[],
                              invalid_choice_message=_l("Kies een vestiging."),
                              invalid_value_message=_l("Kies een vestiging."))
    room = StringField(_l("Ruimte (bijvoorbeeld: spreekkamer 2, bij de balie)"),
                       filters=[strip], validators=[Length(max=120), one_line])
    with_user_id = SelectField(_l("Wie doet de intake?"), coerce=int, choices=[],
                               invalid_choice_message=_l("Kies wie de intake doet."),
                               invalid_value_message=_l("Kies wie de intake doet."))
    # One per opened form: the same form posted twice is one appointment.
    form_key = HiddenField(validators=[Optional(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    submit = SubmitField(_l("Intake plannen"))

    hosts: dict[int, set[int]]

    def validate_with_user_id(self, field):
        if field.data and self.location_id.data and (
                field.data not in self.hosts.get(self.location_id.data, set())):
            raise ValidationError(_("Deze persoon werkt niet op de gekozen vestiging. Kies "
                                    "een medewerker of coördinator van die vestiging."))
