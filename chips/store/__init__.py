"""The store: the content-addressed files (raw chips, composites) and the per-client
records that say who holds which under which name (chips.store.cache)."""
