"""Program evidence: an anonymized event log, indicators with small-cell suppression, the
administrators' dashboard at /admin and the monthly digest.

Other areas record facts with ``bot.analytics.events.record`` (and the referral, relay and alert
helpers beside it); nothing else in this package writes to the database.
"""
