from flask import Blueprint

bp = Blueprint("participants", __name__, url_prefix="/deelnemers")
