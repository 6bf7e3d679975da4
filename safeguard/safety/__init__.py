"""The safety check: whether every concern can still reach someone who can act on it.

It reads what other features own (the DSL team's cover, the worker's heartbeat, the outbox, overdue
acknowledgements) and says plainly when the chain is broken: on a page for administrators and the head, in banners
on every page for the people who can mend it, in ``/health``'s readiness field, and in ``flask --app safeguard
doctor``, which exits non-zero so that monitoring can run it.
"""
