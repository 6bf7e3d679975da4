"""Alerts from the school's filtering and monitoring software, and the DSLs' tray where each ends with an outcome."""
