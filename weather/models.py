"""Daily weather per grid cell: the cells of each loaded grid (ERA5 0.25 deg, ERA5-Land
0.1 deg) as polygons, and one row per cell and UTC day."""

from __future__ import annotations

from django.contrib.gis.db import models


class Grid(models.TextChoices):
    ERA5 = "era5", "ERA5 (0.25 deg)"
    ERA5_LAND = "era5-land", "ERA5-Land (0.1 deg)"


class WeatherCell(models.Model):
    """One cell of a grid, centred on its grid point (what the NetCDF's coordinates name)."""

    grid = models.CharField(max_length=16, choices=Grid.choices)
    resolution = models.FloatField(help_text="side of the cell, degrees")
    lon = models.FloatField(help_text="grid point, degrees east (-180..180)")
    lat = models.FloatField(help_text="grid point, degrees north")
    geom = models.PolygonField(srid=4326, help_text="the cell: the grid point +- resolution/2")

    class Meta:
        ordering = ["grid", "lat", "lon"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "lon", "lat"], name="weathercell_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.grid} {self.lon:.2f} {self.lat:.2f}"


class WeatherDay(models.Model):
    """One UTC day of one cell. A value the loaded files did not cover whole is null (the
    last day of a file has no precipitation until the next hour is loaded with it)."""

    cell = models.ForeignKey(WeatherCell, on_delete=models.CASCADE, related_name="days")
    meteo_date = models.DateField()
    tmin = models.FloatField(null=True, help_text="degrees C")
    tmax = models.FloatField(null=True, help_text="degrees C")
    tmean = models.FloatField(null=True, help_text="degrees C")
    prec = models.FloatField(null=True, help_text="mm per day")

    class Meta:
        ordering = ["cell", "meteo_date"]
        constraints = [
            # The series of a cell: cell = %s AND meteo_date BETWEEN ..; and the upsert's key.
            models.UniqueConstraint(fields=["cell", "meteo_date"], name="weatherday_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.cell} {self.meteo_date}"
