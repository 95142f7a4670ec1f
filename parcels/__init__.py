"""The parcels app: parcel datasets per AOI and year, their import, AOI grants, and the
CbM parcel endpoints."""
