"""docker-compose.yml is validated here (Docker does not run on our machines)."""

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_stack_has_every_service():
    assert set(compose()["services"]) == {"db", "redis", "migrate", "web", "worker", "beat"}


def test_app_services_build_the_project_and_run_production_settings():
    services = compose()["services"]
    for name in ("migrate", "web", "worker", "beat"):
        service = services[name]
        assert service["build"] == "."
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "registry.settings.production"
        assert service["env_file"] == ".env"
    assert services["web"]["command"][0] == "gunicorn"
    assert services["web"]["command"][1] == "registry.wsgi:application"
    assert services["worker"]["command"][:4] == ["celery", "-A", "registry", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "registry", "beat"]
    assert (ROOT / "registry" / "wsgi.py").exists()


def test_services_wait_for_healthy_dependencies():
    services = compose()["services"]
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully")


def test_data_lives_in_named_volumes():
    data = compose()
    assert set(data["volumes"]) == {"db-data", "redis-data"}
    assert "db-data:/var/lib/postgresql/data" in data["services"]["db"]["volumes"]


def test_env_example_names_every_variable_production_requires():
    production = (ROOT / "registry" / "settings" / "production.py").read_text()
    base = (ROOT / "registry" / "settings" / "base.py").read_text()
    required = set(re.findall(r'required\("([A-Z_]+)"\)', production))
    assert required == {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
    example = env_example()
    read = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', base + production))
    read |= set(re.findall(r'env_(?:bool|list)\("([A-Z_]+)"', base + production))
    read |= required
    assert required <= set(example)
    assert {"CELERY_BROKER_URL", "CONN_MAX_AGE"} <= set(example)
    unknown = set(example) - read - {"POSTGRES_PASSWORD"}
    assert not unknown, f".env.example sets variables the settings never read: {unknown}"


def test_database_url_in_the_example_points_at_the_compose_database():
    example = env_example()
    assert "@db:5432/registry" in example["DATABASE_URL"]
    assert example["CELERY_BROKER_URL"].startswith("redis://redis:6379")
