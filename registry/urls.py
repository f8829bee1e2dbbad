from django.contrib import admin
from django.urls import include, path, re_path
from two_factor import views as two_factor_views

from registry.api.urls import not_found as api_not_found
from registry.health import health
from registry.twofactor import RegistryDisableView, RegistryLoginView, RegistryProfileView

handler500 = "registry.middleware.server_error"

admin.site.site_header = "IVIg follow-up registry"
admin.site.site_title = "IVIg registry admin"

# django-two-factor-auth's views on the registry's paths, in its namespace (its templates
# and views reverse ``two_factor:…``); the sign-in page keeps Django's name ``login``.
two_factor_urls = ([
    path("login/", RegistryLoginView.as_view(), name="login"),
    path("two-factor/", RegistryProfileView.as_view(), name="profile"),
    path("two-factor/setup/", two_factor_views.SetupView.as_view(), name="setup"),
    path("two-factor/qrcode/", two_factor_views.QRGeneratorView.as_view(), name="qr"),
    path("two-factor/setup/complete/", two_factor_views.SetupCompleteView.as_view(),
         name="setup_complete"),
    path("two-factor/backup/tokens/", two_factor_views.BackupTokensView.as_view(),
         name="backup_tokens"),
    path("two-factor/disable/", RegistryDisableView.as_view(), name="disable"),
], "two_factor")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/v1/", include("registry.api.urls")),
    path("api/v1/", include("exchange.api.urls")),
    path("api/v1/health/", health, name="api-health"),
    re_path(r"^api/v1/(?P<unmatched>.*/)$", api_not_found),  # after every API route
    path("accounts/login/", RegistryLoginView.as_view(), name="login"),
    path("accounts/", include(two_factor_urls)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the header's switch
    path("", include("patients.urls")),
    path("", include("treatments.urls")),
    path("", include("exchange.urls")),
    path("", include("queries.urls")),
]
