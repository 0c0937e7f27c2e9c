from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents.api import compose, views

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("incident-types", views.IncidentTypeViewSet, basename="incident-type")
router.register("rvr-priorities", views.RvrPriorityViewSet, basename="rvr-priority")
router.register("incident-statuses", views.IncidentStatusViewSet, basename="incident-status")
router.register("mail-templates", compose.MailTemplateViewSet, basename="mail-template")
urlpatterns = [
    path("incidents/live/", views.LiveQueueView.as_view(), name="incident-live"),
    path("incidents/<str:pk>/compose/", compose.ComposeView.as_view(), name="incident-compose"),
    *router.urls,
]
