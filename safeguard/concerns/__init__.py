"""Concerns: logging, routing, triage, actions and the chronology."""
