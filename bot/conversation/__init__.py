"""A conversation's turn: accept into the inbox, run the dialogue, apply its effects; sealed state."""
