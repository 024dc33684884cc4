from flask_wtf import FlaskForm


class NoShowForm(FlaskForm):
    """Only the CSRF token: the button says it all."""
