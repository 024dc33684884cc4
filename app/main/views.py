import sqlalchemy as sa
from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user

from app.auth.permissions import has
from app.extensions import db
from app.main import bp


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/")
def index():
    """Send each role to the page it works from."""
    if has(current_user, "volunteer.own"):
        return redirect(url_for("volunteers.mine"))
    if has(current_user, "portal.view"):
        return redirect(url_for("portal.index"))
    if has(current_user, "referrals.contact"):
        return redirect(url_for("referrals.queue"))
    return render_template("main/home.html")
