"""Twilio: webhooks -> form parsing -> the gateway (the only module that imports twilio)."""
