"""Notifications: in-app alerts for the DSL team and the e-mail outbox."""
