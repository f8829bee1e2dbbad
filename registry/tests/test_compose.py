"""docker-compose.yml is validated here (Docker does not run on our machines)."""

import os
import re
import secrets
import subprocess
import sys
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
    assert set(compose()["services"]) == {"db", "redis", "migrate", "web", "worker", "importer",
                                          "beat"}


def test_app_services_build_the_project_and_run_production_settings():
    services = compose()["services"]
    for name in ("migrate", "web", "worker", "importer", "beat"):
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
    for name in ("db", "redis", "web", "worker", "importer"):
        assert "healthcheck" in services[name], name
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "importer", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully")


def test_data_lives_in_named_volumes():
    data = compose()
    assert set(data["volumes"]) == {"db-data", "redis-data", "backups"}
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


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_every_service_runs_a_pinned_image():
    services = compose()["services"]
    assert re.fullmatch(r"postgres:\d+", services["db"]["image"])
    assert re.fullmatch(r"redis:\d+", services["redis"]["image"])
    for name in ("migrate", "web", "worker", "importer", "beat"):
        assert services[name]["image"] == "ivig-registry:latest"


def test_every_long_running_service_has_a_health_check():
    services = compose()["services"]
    for name in ("db", "redis", "web", "worker", "importer", "beat"):
        test = services[name]["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
    assert services["web"]["healthcheck"]["test"][1:] == [
        "python", "scripts/healthcheck.py", "web"]
    assert services["beat"]["healthcheck"]["test"][1:] == [
        "python", "scripts/healthcheck.py", "beat"]
    assert (ROOT / "scripts" / "healthcheck.py").exists()
    schedule = services["beat"]["command"][services["beat"]["command"].index("--schedule") + 1]
    assert schedule == "/tmp/celerybeat-schedule"  # where the beat check looks


def test_the_web_health_check_asks_the_health_endpoint():
    from django.urls import resolve

    from registry.health import health

    source = (ROOT / "scripts" / "healthcheck.py").read_text()
    path = re.search(r'"http://127\.0\.0\.1:8000(/[^"]*)"', source).group(1)
    assert resolve(path).func is health
    assert "8000:8000" in compose()["services"]["web"]["ports"]


def test_celery_and_gunicorn_commands_name_real_modules():
    services = compose()["services"]
    assert (ROOT / "registry" / "celery.py").exists()
    from registry.celery import app

    assert app.main == "registry"
    web = services["web"]["command"]
    assert web[:2] == ["gunicorn", "registry.wsgi:application"]
    assert web[web.index("--bind") + 1] == "0.0.0.0:8000"


def test_named_volumes_hold_the_data_and_the_backups():
    data = compose()
    assert "redis-data:/data" in data["services"]["redis"]["volumes"]
    assert "backups:/backups" in data["services"]["web"]["volumes"]
    assert "mkdir -p /backups" in dockerfile() and "chown -R registry /app /backups" in (
        dockerfile())


def test_compose_interpolates_only_variables_of_the_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    assert used == {"POSTGRES_PASSWORD"}
    assert used <= set(env_example())


def test_the_env_example_is_consistent():
    example = env_example()
    password = re.search(r"postgres://registry:([^@]+)@", example["DATABASE_URL"]).group(1)
    assert password == example["POSTGRES_PASSWORD"]
    assert example["LOG_FORMAT"] == "json"
    base = (ROOT / "registry" / "settings" / "base.py").read_text()
    assert 'os.environ.get("LOG_FORMAT"' in base


def test_the_image_installs_the_pinned_requirements_and_runs_unprivileged():
    text = dockerfile()
    assert text.startswith("FROM python:3.11")
    assert "pip install --no-cache-dir -r requirements.txt" in text
    assert "postgresql-client" in text  # pg_dump and pg_restore for the backups
    assert re.search(r"^USER registry$", text, re.MULTILINE)
    assert "EXPOSE 8000" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git"} <= set(ignored)


def test_production_settings_start_with_the_env_example():
    """What an operator fills in from .env.example is all production needs (check --deploy)."""
    # Only what a container would have: nothing of the test run's own environment.
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(env_example())
    env.update(DJANGO_SETTINGS_MODULE="registry.settings.production",
               SECRET_KEY=secrets.token_urlsafe(50))
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    missing = {**env}
    del missing["SECRET_KEY"]
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=missing,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "SECRET_KEY" in done.stderr


def test_the_imports_have_a_worker_of_their_own():
    """The importer consumes the queue the import task is routed to; the worker the rest."""
    from registry.celery import app

    command = compose()["services"]["importer"]["command"]
    assert command[:4] == ["celery", "-A", "registry", "worker"]
    assert command[command.index("-Q") + 1] == settings.CELERY_IMPORT_QUEUE == "imports"
    assert "--concurrency=1" in command
    route = app.amqp.router.route({}, "exchange.tasks.import_run_task")
    assert route["queue"].name == "imports"
    assert "-Q" not in compose()["services"]["worker"]["command"]  # the default queue
    healthcheck = compose()["services"]["importer"]["healthcheck"]["test"][1]
    assert command[command.index("-n") + 1].split("@")[0] + "@$$HOSTNAME" in healthcheck
