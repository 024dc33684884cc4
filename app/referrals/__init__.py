from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/aanmeldingen")
