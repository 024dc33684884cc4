import threading

import sqlalchemy as sa
from flask import current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user

from app.auth.permissions import has
from app.core.parallel import WorkerPool
from app.extensions import db
from app.main import bp

# A load balancer gives up on a health check after a few seconds: answer well within 2.
HEALTHZ_SECONDS = 1.5
_HEALTH_CHECKS = WorkerPool("healthz", 2)
# Checks still waiting on a frozen database hold their thread; with every thread held the
# answer is 503 at once, instead of a queue of checks growing behind them.
_health_slots = threading.BoundedSemaphore(2)


@bp.get("/healthz")
def healthz():
    if not _health_slots.acquire(blocking=False):
        return jsonify(status="error", database="not answering"), 503
    app = current_app._get_current_object()
    try:
        future = _HEALTH_CHECKS.executor().submit(_ping_database, app)
    except BaseException:
        _health_slots.release()
        raise
    try:
        future.result(timeout=HEALTHZ_SECONDS)
    except TimeoutError:
        return jsonify(status="error", database="not answering"), 503
    except sa.exc.SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


def _ping_database(app) -> None:
    try:
        with app.app_context():
            try:
                db.session.execute(sa.text("SELECT 1"))
            finally:
                db.session.remove()
    finally:
        _health_slots.release()


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
