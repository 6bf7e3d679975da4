"""What assembles the features into one application: the command line, the templates' helpers, the registry of
every model, and the demo school.

Modules here may import any feature; no feature imports them (see ARCHITECTURE.md).
"""
