"""The inspection endpoints under /query/ (JSON) and the inspector's pages under /inspect/."""

from django.urls import path

from inspection.web import api, pages

api_urlpatterns = [
    path("parcelSuggest", api.ParcelSuggest.as_view(), name="parcel-suggest"),
    path("parcelMap", api.ParcelMap.as_view(), name="parcel-map"),
    path("inspectionDecisions", api.InspectionDecisions.as_view(), name="inspection-decisions"),
]

page_urlpatterns = [
    path("", pages.Start.as_view(), name="inspection-start"),
    path("find", pages.Find.as_view(), name="inspection-find"),
    path("map", pages.DatasetMap.as_view(), name="inspection-map"),
    path("review", pages.Review.as_view(), name="inspection-review"),
]
