"""Every write a citizen, a clerk or a department system can make.

Keyword-only, typed, one transaction each: a service either does all it says or
raises a ``DomainError`` and changes nothing. The API, the portal, the workbench
and the admin all call these.

By responsibility: :mod:`.drafting` (create, change, delete, apply again), :mod:`.uploading`
(materials), :mod:`.submitting`, :mod:`.citizen_actions` (resubmit after a correction, withdraw,
rate), :mod:`.deciding` (clerks: claim, release, assign, decide), :mod:`.delivering` (physical
results); :mod:`.common` holds the row lock, the engine-step guard and the checks they share.
"""
