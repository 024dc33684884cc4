from flask import render_template

from app.auth.permissions import require
from app.participants import bp


@bp.get("/")
@require("participants.view")
def index():
    return render_template("participants/index.html")
