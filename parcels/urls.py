"""parcels endpoints under /query/."""

urlpatterns: list = []
