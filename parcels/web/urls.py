"""parcels endpoints under /query/ (both spellings of parcelByID, as the JRC service had)."""

from django.urls import path

from parcels.web import api

urlpatterns = [
    path("parcelByLocation", api.parcel_by_location, name="parcel-by-location"),
    path("parcelByID", api.parcel_by_id, name="parcel-by-id"),
    path("parcelById", api.parcel_by_id),
    path("parcelsByPolygon", api.parcels_by_polygon, name="parcels-by-polygon"),
    path("parcelPeers", api.parcel_peers, name="parcel-peers"),
]
