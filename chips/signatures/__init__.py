"""The signature store: per parcel, scene and band, the statistics of its pixels."""
