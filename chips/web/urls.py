"""chips endpoints under /query/."""

from django.urls import path

from chips.web import api, info, pages, timeseries

urlpatterns = [
    path("info", info.info, name="info"),
    path("rawChipByLocation", api.RawChipByLocation.as_view(), name="raw-chip-by-location"),
    path("rawChipByParcelID", api.RawChipByParcelId.as_view(), name="raw-chip-by-parcel-id"),
    # The original service spelled it both ways; the CbM tools use both.
    path("rawChipByParcelId", api.RawChipByParcelId.as_view()),
    path("rawChipsBatch", api.RawChipsBatch.as_view(), name="raw-chips-batch"),
    path("rawS1ChipsBatch", api.RawS1ChipsBatch.as_view(), name="raw-s1-chips-batch"),
    path("jobs/<uuid:job_id>", api.ChipJobStatus.as_view(), name="chip-job"),
    path("chipsByLocation", pages.ChipsByLocation.as_view(), name="chips-by-location"),
    path("chipsByParcelID", pages.ChipsByParcelId.as_view(), name="chips-by-parcel-id"),
    path("chipsByParcelId", pages.ChipsByParcelId.as_view()),
    path("parcelTimeSeries", timeseries.ParcelTimeSeries.as_view(), name="parcel-time-series"),
]
