"""Retention: the schedule, reviews of files that came due, legal holds and disposals."""
