"""Beheer > Berichten: the texts of messages to participants, their translations, a preview
with sample values and the number of SMS it takes."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField, SubmitField, TextAreaField

from app.admin import bp
from app.auth.permissions import require
from app.core.choices import MESSAGE_LANGUAGE
from app.core.records import ChangedMeanwhileError
from app.core.timeutil import local_date, to_utc, utcnow
from app.extensions import db
from app.messaging import editing, texts
from app.messaging.models import MessageTemplate

TRANSLATIONS = tuple(code for code in MESSAGE_LANGUAGE if code)


class _MessageTextForm(FlaskForm):
    dutch = TextAreaField(_l("Nederlandse tekst"))
    versions = HiddenField()
    save = SubmitField(_l("Opslaan"))
    preview = SubmitField(_l("Voorbeeld"))
    reset = SubmitField(_l("Standaardtekst terugzetten"))


def _field_name(language: str) -> str:
    return f"tr_{language}"


# One textarea per language of choices.MESSAGE_LANGUAGE, all optional.
MessageTextForm = type("MessageTextForm", (_MessageTextForm,), {
    _field_name(lang): TextAreaField(_l("Vertaling: %(language)s",
                                        language=MESSAGE_LANGUAGE[lang]))
    for lang in TRANSLATIONS})


def _kind_or_404(code: str) -> texts.Kind:
    kind = texts.BY_CODE.get(code)
    if kind is None:
        abort(404)
    return kind


def _sample_moment():
    # The coming Tuesday at 10.30: a preview reads like a real message.
    today = local_date(utcnow())
    return to_utc(today + timedelta(days=(1 - today.weekday()) % 7 or 7), 10, 30)


@bp.get("/berichten/")
@require("messages.manage")
def message_texts():
    # All kinds are on one page: a fixed, short list (texts.KINDS), read in one query.
    rows = db.session.scalars(db.select(MessageTemplate)).all()
    stored: dict[str, dict[str, MessageTemplate]] = {}
    for row in rows:
        stored.setdefault(row.code, {})[row.language] = row
    items = [(kind, stored.get(kind.code, {})) for kind in texts.KINDS]
    return render_template("admin/message_texts.html", items=items,
                           languages=MESSAGE_LANGUAGE)


@bp.route("/berichten/<code>", methods=["GET", "POST"])
@require("messages.manage")
def message_text_edit(code: str):
    kind = _kind_or_404(code)
    stored = texts.stored_texts(code)
    form = MessageTextForm()
    previews = None
    if not form.is_submitted():
        form.dutch.data = stored[texts.DUTCH].body if texts.DUTCH in stored else kind.default
        for lang in TRANSLATIONS:
            form[_field_name(lang)].data = stored[lang].body if lang in stored else ""
        form.versions.data = editing.versions_token(stored)
    elif form.validate_on_submit():
        if form.reset.data:
            # Not saved yet: the admin sees the default in the field and saves it deliberately.
            form.dutch.data = kind.default
            flash(_("De standaardtekst staat weer in het veld. Klik op Opslaan om hem te "
                    "bewaren."), "info")
            return _render(kind, form, stored, previews)
        ok = True
        if not (form.dutch.data or "").strip():
            form.dutch.errors.append(_("Vul de Nederlandse tekst in. Of zet de standaardtekst "
                                       "terug."))
            ok = False
        for name in ["dutch"] + [_field_name(lang) for lang in TRANSLATIONS]:
            value = (form[name].data or "").strip()
            error = editing.text_error(code, value) if value else None
            if error:
                form[name].errors.append(error)
                ok = False
        translations = {lang: form[_field_name(lang)].data or "" for lang in TRANSLATIONS}
        if ok and form.preview.data:
            previews = _previews(form.dutch.data, translations)
        elif ok:
            try:
                changed = editing.save_texts(code, form.dutch.data, translations,
                                             token=form.versions.data or "", by=current_user,
                                             now=utcnow())
                db.session.commit()
            except (ChangedMeanwhileError, StaleDataError, IntegrityError):
                db.session.rollback()
                form.versions.data = editing.versions_token(texts.stored_texts(code))
                flash(_("Iemand anders heeft dit net veranderd. Kijk wat er nu staat: open "
                        "de pagina opnieuw. Of sla uw tekst nog een keer op, dan gaat die "
                        "voor."), "error")
            else:
                if changed:
                    flash(_("De tekst is opgeslagen."), "success")
                else:
                    flash(_("Er was niets veranderd."), "info")
                return redirect(url_for("admin.message_texts"))
    return _render(kind, form, stored, previews)


def _previews(dutch: str, translations: dict[str, str]) -> list[dict]:
    values = editing.sample_values(_sample_moment())
    dutch_message = texts.render_text(dutch, values)
    out = [{"language": _("Alleen Nederlands"), "text": dutch_message,
            "parts": editing.parts_text(dutch_message)}]
    for lang, source in translations.items():
        if source.strip():
            message = f"{dutch_message}\n\n{texts.render_text(source, values)}"
            out.append({"language": MESSAGE_LANGUAGE[lang], "text": message,
                        "parts": editing.parts_text(message)})
    return out


def _render(kind, form, stored, previews):
    return render_template(
        "admin/message_text_form.html", kind=kind, form=form, previews=previews,
        placeholders=[(name, texts.PLACEHOLDERS[name])
                      for name in texts.allowed_placeholders(kind.code)],
        translation_fields=[form[_field_name(lang)] for lang in TRANSLATIONS],
        stored=stored)
