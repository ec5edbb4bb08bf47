"""Staff console and supervisor pages (filled in by the console work)."""

urlpatterns: list = []
