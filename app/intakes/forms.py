from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from app.core import choices
from app.core.forms import select_choices
from app.core.records import version_field
from app.participants.forms import YES_NO
from app.participants.service import PERSON_KINDS, referrer_name


def share_field(referral_id: int) -> str:
    return f"consent_share_{referral_id}"

LEVEL_SCALES = {"nt2": choices.NT2_LEVELS, "nt1": choices.NT1_LEVELS}
SKILL_FIELDS = {f"level_{skill}": label for skill, label in choices.SKILLS.items()}
GOAL_ROWS = 3


def level_choices() -> list[SelectChoice]:
    """Both scales in one list, grouped, so a level can be picked without JavaScript;
    the form then checks that the level belongs to the chosen scale."""
    result = [SelectChoice(value="unknown", label=choices.NT2_LEVELS["unknown"])]
    groups = (("nt2", _l("NT2: ERK-niveau")), ("nt1", _l("NT1: referentieniveau")))
    for scale, group in groups:
        result += [SelectChoice(value=code, label=label, optgroup=str(group))
                   for code, label in LEVEL_SCALES[scale].items() if code != "unknown"]
    return result


class GoalForm(FlaskForm):
    """One learning goal row; a row left completely empty is ignored."""

    class Meta:
        csrf = False  # the intake form around it carries the token

    goal_id = HiddenField()
    subject = SelectField(_l("Onderwerp"), choices=[])
    context = SelectField(_l("Waar heeft de deelnemer het nodig?"), choices=[])
    own_words = TextAreaField(_l("Het doel in de woorden van de deelnemer"),
                              validators=[Optional(), Length(max=2000)])
    target_date = DateField(_l("Wanneer wil de deelnemer dit kunnen? (mag leeg blijven)"),
                            validators=[Optional()])

    def is_empty(self) -> bool:
        return not (self.subject.data or self.context.data
                    or (self.own_words.data or "").strip() or self.target_date.data)


class IntakeForm(FlaskForm):
    version = version_field()
    held_on = DateField(_l("Datum van het gesprek"),
                        validators=[InputRequired(_l("Vul de datum van het gesprek in."))])
    scale = RadioField(_l("Welke schaal past bij de deelnemer?"), choices=[
        SelectChoice(value="nt2", label=_l("NT2 (Nederlands is een tweede taal): ERK A0 tot C2")),
        SelectChoice(value="nt1", label=_l("NT1 (Nederlands is de eerste taal): instroom tot 3F")),
    ], validators=[InputRequired(_l("Kies een schaal."))])
    level_speaking = SelectField(choices.SKILLS["speaking"], default="unknown", choices=[])
    level_listening = SelectField(choices.SKILLS["listening"], default="unknown", choices=[])
    level_reading = SelectField(choices.SKILLS["reading"], default="unknown", choices=[])
    level_writing = SelectField(choices.SKILLS["writing"], default="unknown", choices=[])
    knows_latin_alphabet = RadioField(
        _l("Kent de deelnemer het Latijnse alfabet (abc)?"),
        choices=[*YES_NO, SelectChoice(value="unknown", label=_l("Onbekend"))],
        default="unknown",
    )
    digital_level = SelectField(_l("Digitale vaardigheden"), default="unknown",
                                choices=select_choices(choices.DIGITAL_LEVEL))
    numeracy_level = SelectField(_l("Rekenen"), default="unknown",
                                 choices=select_choices(choices.NUMERACY_LEVEL))
    screening_tool = SelectField(_l("Welke test is gedaan?"),
                                 choices=select_choices(choices.SCREENING_TOOL,
                                                        blank=choices.SCREENING_TOOL[""]))
    screening_result = StringField(_l("Uitslag van de test"),
                                   validators=[Optional(), Length(max=200)])
    availability = SelectMultipleField(
        _l("Wanneer kan de deelnemer?"),
        choices=[SelectChoice(value=slot) for slot in choices.AVAILABILITY_SLOTS],
    )
    volunteer_preferences = TextAreaField(_l("Wensen voor een vrijwilliger"),
                                          validators=[Optional(), Length(max=2000)])
    motivation = TextAreaField(_l("Waarom wil de deelnemer leren?"),
                               validators=[Optional(), Length(max=2000)])
    advised_offer = SelectField(_l("Advies: welk aanbod past?"), choices=[],
                                validators=[InputRequired(_l("Kies het aanbod dat u adviseert."))])
    wished_offer = SelectField(_l("Wens van de deelnemer"), choices=[])
    offer_difference_reason = TextAreaField(
        _l("Waarom verschillen advies en wens?"), validators=[Optional(), Length(max=2000)])
    consent_processing = RadioField(
        choices.CONSENT_KIND["processing"], choices=YES_NO,
        validators=[InputRequired(_l("Kies ja of nee."))])
    # "Verwijzer hoort hoe het gaat" is asked per referrer: fields `consent_share_<referral
    # id>`, added by `asking_share_for`.
    # Asked here or at registration; not answering leaves it as it was ("nog niet gevraagd":
    # then nothing is sent to the person).
    consent_messages = RadioField(
        choices.CONSENT_KIND["messages"], choices=YES_NO, validators=[Optional()])
    consent_method = SelectField(_l("Hoe is de toestemming gegeven?"),
                                 choices=select_choices(choices.CONSENT_METHOD, blank=_l("Kies")))
    goals = FieldList(FormField(GoalForm), min_entries=GOAL_ROWS, max_entries=30)
    submit = SubmitField(_l("Intake opslaan"))

    def __init__(self, *args, offer_choices=(), subject_choices=(), context_choices=(),
                 current_consents=None, current_shares=None, today: date | None = None,
                 goal_target_dates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or date.today()
        # {goal id: saved target date}: a date that has passed may stay as it was.
        self.goal_target_dates = goal_target_dates or {}
        # {kind: True/False/None}: what is in force now, so only a change needs a method.
        self.current_consents = current_consents or {}
        self.current_shares = current_shares or {}
        self.goals_error: str | None = None
        for name in SKILL_FIELDS:
            self[name].choices = level_choices()
        self.advised_offer.choices = select_choices(offer_choices, blank=_l("Kies"))
        self.wished_offer.choices = select_choices(
            offer_choices, blank=_l("Geen voorkeur of weet het niet"))
        if not self.is_submitted():
            # Saved goals plus at least one empty row for a new one.
            while len(self.goals) < max(GOAL_ROWS, len(self.filled_goals()) + 1):
                self.goals.append_entry()
        for entry in self.goals:
            entry.form.subject.choices = select_choices(subject_choices, blank=_l("Kies"))
            entry.form.context.choices = select_choices(context_choices, blank=_l("Kies"))

    # {referral id: True/False/None}: the share decision in force per referral asked about.
    current_shares: dict[int, bool | None] = {}
    share_referral_ids: tuple[int, ...] = ()

    @classmethod
    def asking_share_for(cls, referrals) -> type["IntakeForm"]:
        """The form with one share question per referrer, named by the referrer: a "ja" or
        "nee" is about that referrer only."""
        fields = {
            share_field(referral.id): RadioField(
                _l("Verwijzer hoort hoe het gaat: %(referrer)s",
                   referrer=referrer_name(referral)),
                choices=YES_NO, validators=[InputRequired(_l("Kies ja of nee."))])
            for referral in referrals
        }
        fields["share_referral_ids"] = tuple(referral.id for referral in referrals)
        return type(cls.__name__, (cls,), fields)

    def share_fields(self) -> list:
        """(field, decision in force) per referrer asked about, in referral order."""
        return [(self[share_field(rid)], self.current_shares.get(rid))
                for rid in self.share_referral_ids]

    def consent_changes(self) -> dict[str, bool]:
        """Person-level consent kinds whose answer differs from what is in force."""
        changes = {}
        for kind in PERSON_KINDS:
            answer = self[f"consent_{kind}"].data
            if answer in ("yes", "no"):
                given = answer == "yes"
                if self.current_consents.get(kind) is not given:
                    changes[kind] = given
        return changes

    def share_changes(self) -> dict[int, bool]:
        """{referral id: given} for the referrers whose answer differs from what is in force."""
        changes = {}
        for rid in self.share_referral_ids:
            answer = self[share_field(rid)].data
            if answer in ("yes", "no"):
                given = answer == "yes"
                if self.current_shares.get(rid) is not given:
                    changes[rid] = given
        return changes

    def filled_goals(self) -> list[GoalForm]:
        return [entry.form for entry in self.goals
                if not entry.form.is_empty() or entry.form.goal_id.data]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        scale = LEVEL_SCALES.get(self.scale.data)
        if scale is not None:
            for name in SKILL_FIELDS:
                field = self[name]
                if field.data not in scale and not field.errors:
                    field.errors.append(_l(
                        "Dit niveau hoort niet bij de gekozen schaal. Kies een niveau van "
                        "%(scale)s.", scale="NT2 (A0 tot C2)" if self.scale.data == "nt2"
                        else "NT1 (instroom tot 3F)"))
                    valid = False
        if self.held_on.data and self.held_on.data > self.today:
            self.held_on.errors.append(_l("Het gesprek kan niet in de toekomst liggen."))
            valid = False
        advised, wished = self.advised_offer.data, self.wished_offer.data
        if (advised and wished and advised != wished
                and not (self.offer_difference_reason.data or "").strip()):
            self.offer_difference_reason.errors.append(
                _l("Advies en wens zijn anders. Schrijf op waarom."))
            valid = False
        if self.screening_tool.data and not (self.screening_result.data or "").strip():
            self.screening_result.errors.append(_l("Vul de uitslag van de test in."))
            valid = False
        if (self.consent_changes() or self.share_changes()) and not self.consent_method.data:
            self.consent_method.errors.append(_l("Kies hoe de toestemming is gegeven."))
            valid = False
        valid = self._validate_goals() and valid
        return valid

    def _validate_goals(self) -> bool:
        valid = True
        rows = self.filled_goals()
        for goal in rows:
            if goal.is_empty():
                goal.own_words.errors.append(_l(
                    "Een leerdoel kan niet leeg zijn. Geldt het niet meer? Zet de status "
                    "dan op 'Gestopt'."))
                valid = False
                continue
            if not goal.subject.data:
                goal.subject.errors.append(_l("Kies een onderwerp."))
                valid = False
            if not goal.context.data:
                goal.context.errors.append(_l("Kies waar de deelnemer het nodig heeft."))
                valid = False
            if not (goal.own_words.data or "").strip():
                goal.own_words.errors.append(_l("Schrijf het doel op, in de woorden van "
                                                "de deelnemer."))
                valid = False
            saved = self.goal_target_dates.get(goal.goal_id.data)
            if (goal.target_date.data and goal.target_date.data < self.today
                    and goal.target_date.data != saved):
                goal.target_date.errors.append(_l("Deze datum is al voorbij. Kies een datum "
                                                  "in de toekomst."))
                valid = False
        if not rows:
            self.goals_error = str(_l("Vul minstens één leerdoel in."))
            self.form_errors.append(self.goals_error)
            valid = False
        return valid


class GoalStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=select_choices(choices.GOAL_STATUS))
    submit = SubmitField(_l("Status opslaan"))
