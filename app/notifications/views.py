from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.permissions import get_notification_or_404
from app.core.timeutil import utcnow
from app.extensions import db
from app.notifications import bp, service
from app.notifications.forms import PreferenceForm
from app.notifications.models import Notification


@bp.app_context_processor
def _unread():
    # A callable, so the COUNT only runs when the menu is actually rendered.
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return service.unread_count(current_user)

    return {"unread_notifications": unread_notifications}


@bp.get("/")
@login_required
def index():
    page = db.paginate(
        service.inbox_query(current_user).order_by(Notification.created_at.desc(),
                                                   Notification.id.desc()),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PER_PAGE"], error_out=False,
    )
    return render_template("notifications/index.html", page=page)


def _read(notification_id: int) -> Notification:
    note = get_notification_or_404(current_user, notification_id)
    service.mark_read(note, utcnow())
    db.session.commit()
    return note


@bp.post("/<int:notification_id>/gelezen")
@login_required
def mark_read(notification_id: int):
    _read(notification_id)
    return redirect(url_for("notifications.index", page=request.form.get("page", 1, type=int)))


@bp.post("/alles-gelezen")
@login_required
def mark_all_read():
    count = service.mark_all_read(current_user, utcnow())
    db.session.commit()
    if count:
        flash(_("Alle berichten staan nu op gelezen."), "success")
    return redirect(url_for("notifications.index"))


@bp.get("/<int:notification_id>/open")
@login_required
def open_link(notification_id: int):
    """Opening the link of a message also marks it as read."""
    note = _read(notification_id)
    return redirect(note.link or url_for("notifications.index"))


@bp.route("/instellingen", methods=["GET", "POST"])
@login_required
def settings():
    form = PreferenceForm(obj=None if request.method == "POST" else current_user)
    if form.validate_on_submit():
        service.set_email_preference(current_user, form.email_preference.data)
        db.session.commit()
        flash(_("Uw keuze is opgeslagen."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form)
