"""The names of the records audit events point at, for one page of events at a time: one
query per kind of record on the page (participants, users, locations, partners,
volunteers, offers), never one per row. Anonymised people read "geanonimiseerd"."""

import re
from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _

from app.admin.models import Location
from app.auth.models import User
from app.extensions import db
from app.matching.models import Offer
from app.participants.models import Participant
from app.partners.models import Partner
from app.volunteers.models import Volunteer

# object_type -> (model, how its name reads) for the records the log names by id.
_NAMED = {
    "user": (User, lambda row: row.name),
    "location": (Location, lambda row: row.name),
    "partner": (Partner, lambda row: row.name),
    "volunteer": (Volunteer, lambda row: f"{row.first_name} {row.last_name}".strip()),
    "offer": (Offer, lambda row: row.name),
}
# Ids that summaries name in words ("koppeling met vrijwilliger 12 voorgesteld").
_WORDS = {"locatie": "location", "vrijwilliger": "volunteer", "gebruiker": "user",
          "deelnemer": "participant"}
_REFERENCE = re.compile(r"\b(locatie|vrijwilliger|gebruiker|deelnemer) (\d+)\b")
# "verhuisd van locatie 3 naar 4": the second one is a location too.
_MOVED = re.compile(r"^(verhuisd van locatie \d+ naar) (\d+)$")


def _normal(summary: str) -> str:
    return _MOVED.sub(r"\1 locatie \2", summary)


class Names(dict):
    """(object_type, id) -> name."""

    def of(self, object_type: str | None, object_id: int | None) -> str | None:
        return self.get((object_type, object_id))

    def person(self, participant_id: int | None) -> str | None:
        return self.get(("participant", participant_id))

    def in_summary(self, summary: str) -> str:
        """The ids a summary names, as names: "vrijwilliger Anneke de Boer"."""
        def name(found: re.Match) -> str:
            known = self.get((_WORDS[found.group(1)], int(found.group(2))))
            return f"{found.group(1)} {known}" if known else found.group(0)
        return _REFERENCE.sub(name, _normal(summary))


def names_for(events: Iterable) -> Names:
    """The names `events` (AuditEvent rows) point at: their participant, their record,
    and the ids in their summaries."""
    wanted: dict[str, set[int]] = {}
    for e in events:
        if e.participant_id is not None:
            wanted.setdefault("participant", set()).add(e.participant_id)
        if e.object_type in _NAMED and e.object_id is not None:
            wanted.setdefault(e.object_type, set()).add(e.object_id)
        for word, number in _REFERENCE.findall(_normal(e.summary or "")):
            wanted.setdefault(_WORDS[word], set()).add(int(number))
    names = Names()
    for object_type, ids in wanted.items():
        if object_type == "participant":
            rows = db.session.execute(sa.select(
                Participant.id, Participant.first_name, Participant.last_name,
                Participant.anonymised_at).where(Participant.id.in_(ids)))
            for pid, first, last, anonymised in rows:
                names[("participant", pid)] = (_("geanonimiseerd") if anonymised is not None
                                               else f"{first} {last or ''}".strip())
            continue
        model, name = _NAMED[object_type]
        for row in db.session.scalars(sa.select(model).where(model.id.in_(ids))):
            names[(object_type, row.id)] = name(row)
    return names
