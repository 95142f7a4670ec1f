"""Composite chips (PNG) for chipsByLocation and chipsByParcelID.

A composite is three raw chips of one scene (cut by the raw machinery into the shared store)
rendered by chips.raster.render into CHIP_STORE/png/<key[:2]>/<key>.png and recorded in the
client's cache as `<product>.png`. The work of a request is a job (chips.work), one
task per scene on the workers (without a broker, in a thread beside the web request): a
reload or a status poll of the same request finds the running job and joins it instead of
starting again. Progress is read from the cache records.

The parts, one module each:
  - params: the `bands` and `lut` parameters,
  - plan: planning the composites of a request (scenes, raw chips, keys, cache),
  - work: starting the request's job for what the client lacks, or joining it,
  - make: making one composite from its raw chips (a task's body),
  - status: where a request or a job stands, read from the cache.
"""
