"""Form pieces every feature uses: choice lists, the strip filter, a checkbox list, the
active/inactive filter of lists whose rows are switched off, never deleted."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, SelectMultipleField, widgets
from wtforms.validators import Optional, ValidationError


def select_choices(pairs, *, blank=None, optgroup: str | None = None) -> list[SelectChoice]:
    """SelectChoice list from a code→label dict or (code, label) pairs (WTForms deprecates
    plain tuples). `blank` puts one empty choice with that label first, in place of any ''
    code in `pairs`."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    result = [SelectChoice(value="", label=blank)] if blank is not None else []
    result += [SelectChoice(value=code, label=label, optgroup=optgroup) for code, label in items
               if blank is None or code != ""]
    return result


def strip(value):
    """A field filter: no leading or trailing spaces in what is stored."""
    return value.strip() if isinstance(value, str) else value


class OneLine:
    """A validator for one-line fields (names): no line break inside.

    A name ends up in mail subjects and headers, where a line break cannot go; the staff form
    and a crafted partner-portal post could both send one. Leading and trailing ones are
    already gone with the `strip` filter.
    """

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        if isinstance(field.data, str) and ("\r" in field.data or "\n" in field.data):
            raise ValidationError(self.message or _l("Schrijf dit op één regel, zonder Enter."))


one_line = OneLine()


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (rendered as a fieldset by the `field` macro)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


STATUS_CHOICES = [SelectChoice(value="active", label=_l("Actief")),
                  SelectChoice(value="inactive", label=_l("Uitgezet")),
                  SelectChoice(value="all", label=_l("Alle"))]


def status_field() -> SelectField:
    """The filter field of a list: active rows (the default), switched-off ones, or all."""
    return SelectField(_l("Status"), choices=STATUS_CHOICES, default="active",
                       validators=[Optional()])


def where_status(query: sa.Select, active_column, status: str) -> sa.Select:
    """`query` narrowed to what a `status_field` value asks for ("all": not narrowed)."""
    if status == "active":
        return query.where(active_column.is_(True))
    if status == "inactive":
        return query.where(active_column.is_(False))
    return query
