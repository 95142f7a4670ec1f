"""Event detection from a parcel's series: plain Python and numpy, no Django (the markers
app's web, commands and workers call it; nothing calls back up). Series in, events out.

- `series`: the observations a detector reads (S2 per acquisition, S1 per orbit).
- `s2`: mowing, harvest, ploughing, bare soil and emergence from NDVI and SWIR on clear
  acquisitions; `s1`: the same events' coherence signatures per orbit; `fuse`: S1+S2.
- `lights`: the rules of a practice against the events -> green/yellow/red.
- `calibration`: raw scores -> calibrated confidence.

docs/markers.md gives the methods, the thresholds and where they come from.
"""

# Stored with every event and light: a change to any threshold or step changes it, and
# extract_markers recomputes what an older version made.
VERSION = "cbm-markers/1.3"
