"""markers endpoints under /query/."""

from django.urls import path

from markers.web import api, evidence

urlpatterns = [
    path("markers", api.Markers.as_view(), name="markers"),
    path("trafficLights", api.TrafficLights.as_view(), name="traffic-lights"),
    path("parcelEvidence", evidence.ParcelEvidence.as_view(), name="parcel-evidence"),
]
