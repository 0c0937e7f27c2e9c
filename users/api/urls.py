from rest_framework.routers import SimpleRouter

from users.api import views

router = SimpleRouter()
router.register("dispatchers", views.DispatcherViewSet, basename="dispatcher")
urlpatterns = router.urls
