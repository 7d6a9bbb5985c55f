from motcua.core.models.audit import AuditChainHead, AuditEntry
from motcua.core.models.events import LiveEvent
from motcua.core.models.jobs import ScheduledJob, WorkerHeartbeat
from motcua.core.models.notifications import Notification

__all__ = [
    "AuditChainHead",
    "AuditEntry",
    "LiveEvent",
    "Notification",
    "ScheduledJob",
    "WorkerHeartbeat",
]
