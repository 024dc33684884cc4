from flask import Blueprint

# `flask --app wsgi api-token create --partner "<name>"` comes from this blueprint's CLI group.
bp = Blueprint("api", __name__, url_prefix="/api/v1", cli_group="api-token")
