"""Local development: SQLite and eager tasks unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, env_bool, env_list

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "local-development-only-not-a-secret"  # noqa: F811

# Serve static files from the apps' folders without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The demo (make run, the CI smoke test) signs in with a password: set
# TWO_FACTOR_REQUIRED_ROLES=data_manager,superuser to try the enrolment locally.
TWO_FACTOR_REQUIRED_ROLES = env_list("TWO_FACTOR_REQUIRED_ROLES", "")
