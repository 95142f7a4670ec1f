"""The chips app: the scene catalogue, chip planning, caching, cutting and delivery, the
composite pages and their HTTP layer."""
