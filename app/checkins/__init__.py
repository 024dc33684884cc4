from flask import Blueprint

bp = Blueprint("checkins", __name__)
