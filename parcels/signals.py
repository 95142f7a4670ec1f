"""Signals of the parcels app, for the apps above it (which parcels does not import)."""

from django.dispatch import Signal

# Sent by parcels.services.parcels_import inside its transaction, once the dataset's parcels
# are written (a first import or a --replace): keyword argument `dataset`.
dataset_imported = Signal()
