"""Concerns about adults who work with children: allegations (the LADO track) and low-level concerns.

Kept apart from the children's records: their own tables, their own case managers (the head, or the chair of
governors when the adult is the head), and never visible to the adult they are about.
"""
