"""Dump and restore the PostgreSQL database with ``pg_dump`` / ``pg_restore``.

The dump is PostgreSQL's custom format (compressed, restorable table by table); it holds
direct identifiers, so the file is created readable by its owner only. A restore runs in
one transaction: it either replaces the whole database or changes nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    pass


def _client(tool: str, alias: str) -> tuple[list[str], dict[str, str]]:
    settings = connections[alias].settings_dict
    if "postgresql" not in settings["ENGINE"]:
        raise BackupError(f"{tool} backs up PostgreSQL only; the {alias!r} database is "
                          f"{settings['ENGINE']}.")
    binary = shutil.which(tool)
    if binary is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client).")
    args = [binary]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            args += [flag, str(settings[key])]
    env = {**os.environ}
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    finished = subprocess.run(args, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        raise BackupError(finished.stderr.strip() or f"{args[0]} failed ({finished.returncode}).")


def database_dump(*, output: Path, alias: str = "default") -> Path:
    args, env = _client("pg_dump", alias)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.unlink(missing_ok=True)
    os.close(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    name = connections[alias].settings_dict["NAME"]
    _run([*args, "--format=custom", "--no-owner", "--no-privileges", "--file", str(output),
          name], env)
    listing, list_env = _client("pg_restore", alias)
    _run([listing[0], "--list", str(output)], list_env)  # the archive is readable
    return output


def database_restore(*, source: Path, alias: str = "default") -> None:
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file {source}.")
    args, env = _client("pg_restore", alias)
    name = connections[alias].settings_dict["NAME"]
    connections[alias].close()
    _run([*args, "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", "--dbname", name, str(source)], env)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # ids are the backup's now
