"""The audit log: who looked at or exported whose data, when, and from which address.

Record an access with one call, before the data is sent:

    import audit

    try:
        audit.record(
            request,
            action=audit.Action.PARTICIPATION_VIEW,
            plan_id=plan.api_id,
            plan_name=plan.name,
            person=query,          # the person searched for or viewed, if any
            row_count=len(rows),   # how many people the page or file shows
        )
    except audit.AuditUnavailable as error:
        return audit.refusal(request, error)   # 503: nothing is sent unrecorded

`filters` defaults to the request's query string. Staff read the log in the admin
(Audit log > Audit entries); `manage.py prune_audit` removes entries older than
AUDIT_RETENTION_DAYS.
"""

from audit.actions import Action
from audit.services import AuditUnavailable, record, refusal

__all__ = ["Action", "AuditUnavailable", "record", "refusal"]
