"""The HTTP layer of the parcels app: the CbM parcel endpoints and their parameters."""
