"""Database backends of the registry (Django's, with what the registry changes)."""
