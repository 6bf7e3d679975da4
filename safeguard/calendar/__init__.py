"""The school calendar: term dates and closure days, behind every clock that counts school days."""
