"""Imports every model so SQLAlchemy and Alembic see the whole schema."""

from app.admin.models import CalendarSettings, ClosedDay, Location, ReferenceItem
from app.api.models import ApiToken, IdempotencyRecord, RateLimitHit
from app.appointments.models import Appointment
from app.audit.models import AuditEvent
from app.auth.models import RecoveryCode, TrustedDevice, User, UserSession, user_locations
from app.checkins.models import CheckIn, FollowUpRule, FollowUpSetting
from app.groups.models import Attendance, GroupMeeting, offer_volunteers
from app.intakes.models import Intake, LearningGoal
from app.matching.models import Enrollment, Match, MatchSession, Offer, SessionGoal
from app.messaging.models import InboundMessage, MessageStop, MessageTemplate
from app.notifications.models import Notification
from app.participants import current, milestones  # noqa: F401  (keep the read models)
from app.participants.models import Consent, Participant, Trajectory
from app.partners.models import Partner, PartnerContact
from app.privacy.models import ErasureRequest
from app.referrals.models import ContactAttempt, Referral
from app.selfreg.models import SelfRegistration
from app.volunteers.models import Volunteer, VolunteerTraining, volunteer_locations

__all__ = [
    "Appointment",
    "AuditEvent", "CheckIn", "Consent", "ContactAttempt", "Intake", "LearningGoal", "Location",
    "CalendarSettings", "ClosedDay",
    "FollowUpRule", "FollowUpSetting", "Notification",
    "Participant", "Partner", "PartnerContact", "ReferenceItem", "Referral", "Trajectory",
    "User", "user_locations", "UserSession", "RecoveryCode", "TrustedDevice",
    "Enrollment", "Match", "MatchSession", "Offer", "SessionGoal",
    "Volunteer", "VolunteerTraining", "volunteer_locations",
    "ApiToken", "IdempotencyRecord", "RateLimitHit", "SelfRegistration",
    "Attendance", "GroupMeeting", "offer_volunteers",
    "InboundMessage", "MessageStop", "MessageTemplate",
    "ErasureRequest",
]
