from rest_framework.routers import SimpleRouter

from ts.api import views

router = SimpleRouter()
router.register("poles", views.PoleViewSet, basename="pole")
router.register("base-stations", views.BaseStationViewSet, basename="base-station")
router.register("contractors", views.ContractorViewSet, basename="contractor")
router.register("operators", views.OperatorViewSet, basename="operator")
urlpatterns = router.urls
