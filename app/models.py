"""Imports every model so SQLAlchemy and Alembic see the whole schema."""

from app.admin.models import Location, ReferenceItem
from app.audit.models import AuditEvent
from app.auth.models import User, user_locations
from app.intakes.models import Intake, LearningGoal
from app.participants.models import Consent, Participant, Trajectory
from app.partners.models import Partner, PartnerContact
from app.referrals.models import ContactAttempt, Referral

__all__ = [
    "AuditEvent", "Consent", "ContactAttempt", "Intake", "LearningGoal", "Location",
    "Participant", "Partner", "PartnerContact", "ReferenceItem", "Referral", "Trajectory",
    "User", "user_locations",
]
