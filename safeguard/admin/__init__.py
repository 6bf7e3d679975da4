"""Administration: the school's accounts and settings."""
