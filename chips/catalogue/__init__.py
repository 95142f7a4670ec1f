"""The scene catalogue: Scene and Asset rows, scene selection, and ingest from SAFE
archives and STAC catalogues (sources/)."""
