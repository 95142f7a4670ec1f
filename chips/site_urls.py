"""Site-level chip URLs outside /query/: the /dump/ file server."""

urlpatterns: list = []
