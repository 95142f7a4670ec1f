"""WSGI entry point (gunicorn cbmweb.wsgi or manage.py runserver)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbmweb.settings")

application = get_wsgi_application()
