"""Subject access requests: logging, the clock, assembling, redacting and releasing what is held about a child."""
