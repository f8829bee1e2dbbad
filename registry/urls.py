from django.contrib import admin
from django.urls import include, path, re_path

from registry.api.urls import not_found as api_not_found
from registry.health import health

handler500 = "registry.middleware.server_error"

admin.site.site_header = "IVIg follow-up registry"
admin.site.site_title = "IVIg registry admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/v1/", include("registry.api.urls")),
    path("api/v1/", include("exchange.api.urls")),
    path("api/v1/health/", health, name="api-health"),
    re_path(r"^api/v1/(?P<unmatched>.*/)$", api_not_found),  # after every API route
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the header's switch
    path("", include("patients.urls")),
    path("", include("treatments.urls")),
    path("", include("exchange.urls")),
]
