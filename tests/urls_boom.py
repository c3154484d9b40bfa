"""The dashboard's URLs plus one view that fails, to see the 500 page."""

from django.urls import path

from dashboard.urls import urlpatterns as dashboard_urls


def boom(request):
    raise RuntimeError("an unexpected bug")


urlpatterns = [*dashboard_urls, path("boom/", boom)]
