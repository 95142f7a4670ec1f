"""manage.py commands of parcels."""
