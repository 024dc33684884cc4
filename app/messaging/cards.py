"""Appointment cards and letters on paper: for people who prefer a letter, and for anyone
who needs the appointment in their hand. One card as a printable page, several in one PDF.

The PDF embeds DejaVu Sans (static/fonts, with its licence): the PDF core fonts know only
Latin-1, and names like "Łukasz" or "Oleksandr" in Cyrillic must print as they are written.
"""

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.core.phone import display_phone
from app.messaging.texts import place_text, say_moment

PICTOGRAMS = ("building", "calendar", "clock", "phone")


@dataclass(frozen=True)
class Card:
    first_name: str
    moment: str        # "dinsdag 8 december, 10.30 uur"
    place: str         # "Bibliotheek Centrum, zaal 2, Oudegracht 12, 3511 AB Utrecht"
    directions: str
    phone: str         # "030 1234567", as people dial it


def card_for(appointment) -> Card:
    location = appointment.location
    return Card(
        first_name=appointment.trajectory.participant.first_name,
        moment=say_moment(appointment.starts_at),
        place=place_text(location, appointment.room),
        directions=(location.directions or "") if location is not None else "",
        phone=display_phone(location.phone) if location is not None and location.phone
        else "",
    )


def _static(*parts: str) -> Path:
    return Path(current_app.static_folder, *parts)


def cards_pdf(cards: list[Card]) -> bytes:
    """One A5 page per card, in large type (A2: one thing per line, short lines)."""
    # Imported here, not at the top: fpdf2 adds ~19 MB to every web worker and only this
    # download needs it (issue 14: worker memory).
    from fpdf import FPDF

    # A5 in mm, as a tuple: fpdf2 2.8 warns about its "A5" name (its size was once wrong).
    pdf = FPDF(orientation="portrait", unit="mm", format=(148, 210))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("DejaVu", "", str(_static("fonts", "DejaVuSans.ttf")))
    pdf.add_font("DejaVu", "B", str(_static("fonts", "DejaVuSans-Bold.ttf")))
    pdf.set_title(_("Afsprakenkaarten"))
    width = pdf.w - 2 * pdf.l_margin
    icon = 11

    def line(pictograms: tuple[str, ...], text: str, size: int = 16, style: str = "") -> None:
        if not text:
            return
        pdf.set_font("DejaVu", style, size)
        y = pdf.get_y()
        for i, name in enumerate(pictograms):
            pdf.image(str(_static("pictograms", f"{name}.svg")), x=pdf.l_margin + i * (icon + 2),
                      y=y, w=icon, h=icon)
        indent = len(pictograms) * (icon + 2) + 2 if pictograms else 0
        pdf.set_xy(pdf.l_margin + indent, y + 1)
        pdf.multi_cell(width - indent, size * 0.5, text, align="L")
        pdf.set_y(max(pdf.get_y(), y + icon) + 5)

    for card in cards:
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 24)
        pdf.multi_cell(width, 12, card.first_name, align="L")
        pdf.ln(2)
        pdf.set_font("DejaVu", "", 18)
        pdf.multi_cell(width, 9, _("Uw afspraak bij het Taalhuis"), align="L")
        pdf.ln(6)
        # The day and the time on lines of their own: short lines, each with its pictogram.
        day, _comma, time = card.moment.rpartition(", ")
        line(("calendar",), day, 18, "B")
        line(("clock",), time, 18, "B")
        line(("building",), card.place)
        line((), card.directions, 14)
        if card.phone:
            line(("phone",), f'{_("Vragen? Of kunt u niet?")}\n{_("Bel")} {card.phone}')
    return bytes(pdf.output())
