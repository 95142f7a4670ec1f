"""manage.py commands of ops."""
