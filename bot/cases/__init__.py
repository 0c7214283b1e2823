"""A worker's case from filing to closing: anonymous reports and their case codes (service,
casecode, draft, evidence), the referral to an organization and its escalation (referrals,
escalation), the notices about it (notices), the relay between staff and the worker (relay), the
case timeline, repeat-employer alerts (employers, repeat) and the administrators' alerts, retention.
"""
