"""Test support shared across the suite.

``tests.support.twilio_server``: a Twilio-compatible Messaging API server (TwilioServer).
``tests.support.webhooks``: realistic inbound Twilio forms, signed as Twilio signs them.
"""
