"""Erasure on request ("recht op vergetelheid"): a coordinator asks, an admin confirms."""

from flask import abort

from app.auth.permissions import require
from app.privacy import bp


@bp.route("/deelnemers/<int:participant_id>/wissen", methods=["GET", "POST"])
@require("privacy.erase_request")
def erase(participant_id: int):
    abort(404)
