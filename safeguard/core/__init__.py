"""What every feature shares: configuration, the extension objects, column types and plain statements, permissions,
formatting, form helpers, attachment storage, the command line and the demo school.

Nothing here knows a feature's rules; features import from here, never the other way round (see ARCHITECTURE.md).
"""
