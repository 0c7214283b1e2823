"""Storage: database sessions, models, encryption (vault, envelope, keyring) and migrations."""
