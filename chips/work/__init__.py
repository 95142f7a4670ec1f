"""The work layer: the only way a flow (raw chips, composites, signatures) gets work done.

A flow describes its work as units (chips.work.units.Unit: a scene's band files to cut, a
scene's composite, a scene's parcel statistics), then

    job, created = jobs.open_or_join(key, kind=..., entries=...)   # or join the running one
    if created:
        dispatch.submit(job, units)                                # here, on the pool, or Celery
    job = jobs.wait(job, timeout=...)                              # the one wait loop

Each unit runs through the runner its kind registered (chips.work.units.runner) and reports
its own outcome (records written, or a reason per entry) through jobs.report, the same way in
process, on the cut pool and on Celery workers; the job closes when its last unit reported.
Liveness (chips.work.liveness) is the one heartbeat rule; dispatch.guarded is the one
"the job must say it stopped" guard.
"""
