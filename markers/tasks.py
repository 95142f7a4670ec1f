"""Celery's autodiscovery imports this module in every worker: the markers runner of the
work layer (markers.work) is then registered there; its units travel as the work layer's
one task (chips.run_unit)."""

from __future__ import annotations

import markers.work  # noqa: F401  (registers the runner of markers units)
