from flask import Blueprint

bp = Blueprint("intakes", __name__, url_prefix="/intake")
