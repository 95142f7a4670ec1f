"""Management of ops."""
