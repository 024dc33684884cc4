"""Form pieces every feature uses: choice lists, the strip filter, a checkbox list."""

from wtforms import SelectChoice, SelectMultipleField, widgets


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


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (rendered as a fieldset by the `field` macro)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
