from flask import render_template

from app.auth.permissions import require
from app.referrals import bp


@bp.get("/")
@require("referrals.contact")
def queue():
    return render_template("referrals/queue.html")


@bp.get("/nieuw")
@require("referrals.create")
def new():
    return render_template("referrals/queue.html")
