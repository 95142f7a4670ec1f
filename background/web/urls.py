"""background endpoints under /query/."""

from django.urls import path

from background.web import api

urlpatterns = [
    path("backgroundByLocation", api.BackgroundByLocation.as_view(), name="background-by-location"),
    path(
        "backgroundByParcelID", api.BackgroundByParcelId.as_view(), name="background-by-parcel-id"
    ),
    path("backgroundByParcelId", api.BackgroundByParcelId.as_view()),
]
