from flask import Blueprint

bp = Blueprint("selfreg", __name__)
