"""manage.py commands of chips."""
