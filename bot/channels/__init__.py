"""Channel edges: where a message arrives and leaves (Twilio SMS/WhatsApp, the console)."""
