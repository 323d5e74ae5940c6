"""Request-level helpers shared by every app's views (no app owns them)."""
