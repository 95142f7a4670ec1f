"""Management of parcels."""
