"""Report pages, mounted at ``/reports/``."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.statistics_page, name="statistics"),
    path("export/statistics.<str:fmt>", views.statistics_export, name="statistics_export"),
    path("export/incidents.<str:fmt>", views.queue_export, name="queue_export"),
    path("map/", views.map_page, name="map"),
    path("map/incidents.json", views.map_data, name="map_data"),
]
