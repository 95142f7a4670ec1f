"""The raster core: chip specs, band facts, windowed extraction and PNG rendering.

Plain Python on rasterio, numpy and Pillow: no Django and nothing of the project above it,
so pool workers and Celery workers import it alone."""
