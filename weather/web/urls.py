"""weather endpoints under /query/."""

from django.urls import path

from weather.web import api

urlpatterns = [
    path("weatherTimeSeries", api.WeatherTimeSeries.as_view(), name="weather-time-series"),
]
