"""The queries app's API routes, included by ``registry.api.urls`` (namespace ``api``)."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from queries.api import views

router = SimpleRouter()
router.register("queries", views.QueryViewSet, basename="query")

urlpatterns = [*format_suffix_patterns(router.urls)]
