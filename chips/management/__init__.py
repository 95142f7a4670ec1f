"""Management of chips."""
