"""Management of demo."""
