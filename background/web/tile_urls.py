"""The map tiles of the background sources, under /background/."""

from django.urls import path

from background.web import tiles

urlpatterns = [
    path(
        "tiles/<str:name>/<int:z>/<int:x>/<int:y>.png",
        tiles.BackgroundTile.as_view(),
        name="background-tile",
    ),
]
