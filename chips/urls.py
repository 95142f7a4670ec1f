"""chips endpoints under /query/."""

urlpatterns: list = []
