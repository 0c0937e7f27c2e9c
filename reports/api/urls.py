from django.urls import path

from reports.api import views

urlpatterns = [
    path("reports/statistics/", views.StatisticsView.as_view(), name="report-statistics"),
    path(
        "reports/statistics/export/",
        views.StatisticsExportView.as_view(),
        name="report-statistics-export",
    ),
    path(
        "reports/incidents/export/",
        views.IncidentExportView.as_view(),
        name="report-incidents-export",
    ),
]
