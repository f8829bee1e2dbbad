"""Two-factor sign-in (django-otp, django-two-factor-auth): who must use it, the pages that
enforce it, and the token endpoint's check of the code.

``TWO_FACTOR_REQUIRED_ROLES`` names the roles (and ``superuser``) that must sign in with a
second factor. Such a user who signed in with a password only can reach nothing but the
enrolment (no device yet) or the sign-in page (a device: sign in with it); the admin needs
a verified sign-in whoever asks. Everyone else may enrol from the account page, and then
signs in with the code like everyone who has a device.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import match_token, user_has_device
from two_factor.views import DisableView, LoginView, ProfileView

from registry.scoping import is_active, is_superuser, user_roles

SUPERUSER = "superuser"

#: Where a required user who has not passed the second factor may still go (URL names).
OPEN_WHILE_UNVERIFIED = frozenset({
    "login", "logout", "two_factor:login", "two_factor:setup", "two_factor:qr",
})


def two_factor_required(user) -> bool:
    """Must this user sign in with a second factor (``TWO_FACTOR_REQUIRED_ROLES``)?"""
    if not is_active(user):
        return False
    required = set(settings.TWO_FACTOR_REQUIRED_ROLES)
    if SUPERUSER in required and is_superuser(user):
        return True
    return bool(required & user_roles(user))


def has_device(user) -> bool:
    """A confirmed authenticator (or backup codes) the user can sign in with."""
    return user_has_device(user, confirmed=True)


def is_verified(user) -> bool:
    """Signed in with a second factor in this session (django-otp's middleware)."""
    return bool(getattr(user, "is_verified", lambda: False)())


class TwoFactorRequiredMiddleware:
    """After ``django_otp.middleware.OTPMiddleware``: a user who must use a second factor
    (or anyone on the admin) and has not, in this session, is sent to enrolment (no
    device) or to the sign-in page (a device); the session-authenticated API answers 403.
    Token requests are checked when the token is issued (``registry.api.auth``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        # The admin's sign-in URL always ends in login/ (its AdminSite route): other paths
        # are spared reversing it, a third of this middleware's work on an API request.
        if request.path.endswith("/login/") and request.path == reverse("admin:login"):
            # The admin's own password-only form would be a way around the second factor.
            return redirect_to_login(request.GET.get("next") or reverse("admin:index"),
                                     reverse("login"))
        user = request.user
        # Only a session's user is judged here: the URL is resolved for them alone (an API
        # request with a token, the most frequent, is spared a second resolution).
        if user.is_authenticated and not self._may_pass(request, user,
                                                        _resolve(request.path_info)):
            return self._refuse(request, user)
        return self.get_response(request)

    @staticmethod
    def _may_pass(request: HttpRequest, user, match) -> bool:
        if request.path.startswith(settings.STATIC_URL):
            return True
        if match is not None and match.view_name in OPEN_WHILE_UNVERIFIED:
            return True
        # The admin refuses non-staff users itself; staff need the second factor there.
        on_admin = match is not None and match.namespace == "admin" and user.is_staff
        if not on_admin and not two_factor_required(user):
            return True
        return is_verified(user)

    @staticmethod
    def _refuse(request: HttpRequest, user):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Two-factor sign-in is required: sign in again with your "
                           "authenticator's code, or use a token."}, status=403)
        if not has_device(user):
            return redirect(f"{reverse('two_factor:setup')}?next={request.get_full_path()}")
        return redirect_to_login(request.get_full_path(), reverse("login"))


def _resolve(path: str):
    from django.urls import Resolver404, resolve

    try:
        return resolve(path)
    except Resolver404:
        return None


class RegistryLoginView(LoginView):
    """django-two-factor-auth's sign-in wizard (password, then the code or a backup code)
    on the registry's own page; django-axes counts and locks the password step."""

    template_name = "registration/login.html"

    def get_prefix(self, request, *args, **kwargs) -> str:
        return "login_view"

    def get_form_prefix(self, step=None, form=None) -> str:
        # The password step keeps Django's field names (``username``, ``password``):
        # password managers, django-axes and scripts that post the plain form still work.
        if (step or self.steps.current) == self.AUTH_STEP:
            return ""
        return super().get_form_prefix(step, form)

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form, **kwargs)
        context.setdefault("backup_tokens", 0)
        return {**context, "next": self.get_redirect_url()}

    def post(self, *args, **kwargs):
        # A plain sign-in form (no wizard step named) is the password step.
        step_field = f"{self.prefix}-current_step"
        if step_field not in self.request.POST and "username" in self.request.POST:
            data = self.request.POST.copy()
            data[step_field] = self.AUTH_STEP
            self.request.POST = data
            self.storage.reset()
        return super().post(*args, **kwargs)


class RegistryProfileView(ProfileView):
    """The account page: enrol, see the backup codes, switch off when the role allows."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "two_factor_required": two_factor_required(self.request.user)}


class RegistryDisableView(DisableView):
    """Users who must use a second factor cannot switch it off."""

    def dispatch(self, request, *args, **kwargs):
        if two_factor_required(request.user):
            raise PermissionDenied("Two-factor sign-in is required for your role.")
        return super().dispatch(request, *args, **kwargs)


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username django-axes counts failures for: the backend's credentials, else the
    sign-in wizard's ``auth-username`` or a plain ``username`` field."""
    if credentials and credentials.get("username"):
        return credentials["username"]
    data = getattr(request, "data", None) or request.POST
    return data.get("auth-username") or data.get("username")


# The token endpoint ---------------------------------------------------------------------

OTP_FIELD = "otp_token"


def token_otp_problem(request: HttpRequest, user, otp_token: str | None) -> str | None:
    """Why a token cannot be issued to ``user`` (who gave the right password), or None.

    A user with a confirmed device must add ``otp_token`` (a current code or a backup
    code); a wrong code counts as a failed sign-in for django-axes, like a wrong password.
    A user who must use a second factor and has not enrolled gets no token."""
    if not has_device(user):
        if two_factor_required(user):
            return ("Two-factor sign-in is required for your role: enrol an authenticator "
                    "on your account page first.")
        return None
    if not otp_token:
        return "This account signs in with a second factor: give the code as otp_token."
    if match_token(user, str(otp_token).strip()) is None:
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username()},
                               request=request)
        return "Wrong or expired code."
    return None
