from motcua.core.models.audit import AuditChainHead, AuditEntry
from motcua.core.models.events import LiveEvent
from motcua.core.models.jobs import ScheduledJob, WorkerHeartbeat

__all__ = ["AuditChainHead", "AuditEntry", "LiveEvent", "ScheduledJob", "WorkerHeartbeat"]
