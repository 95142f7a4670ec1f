"""manage.py commands of demo."""
