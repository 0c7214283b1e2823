"""Program evidence: an anonymized event log, indicators with small-cell suppression, the
administrators' dashboard at /admin and the monthly digest.

The event log and its one writer live below the cases, in bot.store.eventlog: the cases record
their referral, relay and alert facts there, and this package's conversation handlers
(bot.analytics.events) the rest; nothing else in this package writes to the database.
"""
