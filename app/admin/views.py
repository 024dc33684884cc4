from flask import render_template

from app.admin import bp
from app.auth.permissions import require


@bp.get("/")
@require("users.manage")
def index():
    return render_template("admin/index.html")
