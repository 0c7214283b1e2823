"""Anonymous abuse reports: case codes, employer identity, and (wired by the bot) storage and flow."""
