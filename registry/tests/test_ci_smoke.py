"""``.ci/run``'s smoke step stops exactly the server it started, and everything that
server started, whether the smoke requests pass or fail (no ``pkill -f`` by name)."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / ".ci" / "run"


def smoke_step(tmp_path: Path, *, requests_pass: bool) -> tuple[int, list[int]]:
    """Run the smoke step of .ci/run with a stand-in for the run command (a server that
    starts a child of its own) and for the smoke requests; give back the step's exit code
    and the ids of the processes the stand-in started."""
    text = SCRIPT.read_text()
    step = text[text.index("# Smoke:"):]
    pids = tmp_path / "pids"
    server = tmp_path / "run.sh"
    server.write_text(f"#!/usr/bin/env bash\nsleep 300 &\necho $! >> {pids}\n"
                      f"echo $$ >> {pids}\nexec sleep 301\n")
    server.chmod(0o755)
    assert "scripts/run.sh" in step and ".ci/smoke.py" in step and "seq 1 90" in step
    step = (step.replace("scripts/run.sh", str(server)).replace("seq 1 90", "seq 1 1")
            .replace(".venv/bin/python .ci/smoke.py", "true" if requests_pass else "false")
            .replace("rm -f db.sqlite3", ":"))
    step = f"set -euo pipefail\n{step}"
    done = subprocess.run(["bash", "-c", step], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    return done.returncode, [int(pid) for pid in pids.read_text().split()]


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) is not running either.
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


@pytest.mark.parametrize("requests_pass", [True, False])
def test_the_smoke_server_and_its_children_are_stopped(tmp_path, requests_pass):
    code, pids = smoke_step(tmp_path, requests_pass=requests_pass)
    try:
        assert (code == 0) == requests_pass
        assert len(pids) == 2
        deadline = time.monotonic() + 10
        while any(running(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(running(pid) for pid in pids)
    finally:  # a failing run must not leave its stand-ins behind
        for pid in pids:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
