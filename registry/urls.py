from django.contrib import admin
from django.urls import include, path

handler500 = "registry.middleware.server_error"

admin.site.site_header = "IVIg follow-up registry"
admin.site.site_title = "IVIg registry admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("registry.api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("patients.urls")),
    path("", include("treatments.urls")),
]
