"""GET /query/info: the service, the parcel datasets of the AOIs the caller may see and,
for each, the imagery the archive holds over it (chips.catalogue.coverage): where to look
before asking for chips, and why a window may come back empty.

Here, not in parcels: the parcels app knows nothing of the imagery; this layer knows both.
"""

from __future__ import annotations

from typing import Any

from django import get_version
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from chips.catalogue.coverage import imagery_coverage
from common import info_sections
from common.schema import error_responses
from parcels import selectors
from parcels.web import serializers as ps

SERVER_NAME = "cbmweb"
SERVER_VERSION = "0.1.0"


class LevelCoverage(serializers.Serializer):
    first = serializers.DateField(help_text="first sensing date (UTC)")
    last = serializers.DateField(help_text="last sensing date (UTC)")
    acquisitions = serializers.IntegerField(help_text="datatakes (distinct sensing times)")
    products = serializers.IntegerField(help_text="products (a datatake's tiles each count)")
    tiles = serializers.ListField(child=serializers.CharField())


class DatasetImagery(ps.DatasetInfo):
    imagery = serializers.DictField(
        child=LevelCoverage(),
        help_text="by processing level: the archive's scenes meeting the dataset's extent",
    )


class AoiImagery(ps.AoiInfo):
    datasets = serializers.DictField(child=DatasetImagery(), help_text="by <year>[_<ptype>]")


class ServiceInfo(serializers.Serializer):
    """The service, the caller's datasets and the imagery over each."""

    server = ps.ServerInfo()
    aois = serializers.DictField(child=AoiImagery())
    backgrounds = ps.BackgroundInfo(
        many=True, required=False, help_text="the background sources (tms=) the caller may use"
    )


def with_imagery(aois: dict[str, Any]) -> dict[str, Any]:
    """The datasets of aois_info, each with the archive's coverage of its extent."""
    for entry in aois.values():
        for dataset in entry["datasets"].values():
            extent = dataset["extent"]
            dataset["imagery"] = imagery_coverage(extent) if extent else {}
    return aois


@extend_schema(
    description="The service, the datasets of the AOIs the caller may see, and the imagery "
    "the archive holds over each dataset (first and last date, acquisitions, tiles per level).",
    responses={200: ServiceInfo, **error_responses(401, 429, 503)},
)
@api_view(["GET"])
def info(request: Request) -> Response:
    return Response(
        {
            "server": {
                "name": SERVER_NAME,
                "version": SERVER_VERSION,
                "django": get_version(),
                "time": timezone.now().isoformat(timespec="seconds"),
                "user": request.user.get_username(),
            },
            "aois": with_imagery(selectors.aois_info(user=request.user)),
            # What apps above add (common.info_sections: the background sources).
            **info_sections.sections(request.user),
        }
    )
