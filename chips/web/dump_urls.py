"""Site-level chip URLs outside /query/: the /dump/ file server."""

from django.urls import path

from chips.web import dump

urlpatterns = [
    # <str:> never matches "/", so an encoded slash in the file name finds no route.
    path("dump/<str:token>/<str:file_name>", dump.serve, name="dump"),
]
