"""End-to-end evaluation of the bot: conversations and replies through the real pipeline."""
