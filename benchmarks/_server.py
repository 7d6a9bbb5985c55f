"""Shared by the HTTP benchmarks: uvicorn serving motcua as a subprocess, staff sessions, and
where the machine's CPU went (the generator, uvicorn, PostgreSQL, everything else)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

# --- Server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(database_url: str, data_dir: str, pool: str, **extra: str) -> dict[str, str]:
    """The server's environment: production-like settings on the throwaway database; `extra`
    adds or overrides variables (e.g. MOTCUA_PUBLIC_RATE for a load from one IP address)."""
    return (
        os.environ
        | {
            "DATABASE_URL": database_url,
            "MOTCUA_SECRET_KEY": secrets.token_urlsafe(50),
            "MOTCUA_SECURE": "false",
            "MOTCUA_DEBUG": "false",
            "MOTCUA_ALLOWED_HOSTS": "127.0.0.1",
            "MOTCUA_STATIC_MANIFEST": "false",
            "MOTCUA_DB_POOL_SIZE": pool,
            "MOTCUA_LOG_LEVEL": "WARNING",
            "MOTCUA_DATA_DIR": data_dir,
            # Every client logs in from 127.0.0.1: the per-IP login limit would refuse the 11th.
            "MOTCUA_LOGIN_RATE": "1000/m",
        }
        | extra
    )


@contextmanager
def server(
    database_url: str, workers: int, pool: str, **extra: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """uvicorn serving motcua on a free port; stopped (terminate, then kill) on the way out.
    `extra`: more environment variables for the server (see `server_env`)."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "uvicorn", "motcua.asgi:application"),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        *("--timeout-graceful-shutdown", "2", "--no-access-log", "--log-level", "warning"),
    ]
    with tempfile.TemporaryDirectory() as data_dir, tempfile.TemporaryFile() as log:
        os.mkdir(os.path.join(data_dir, "staticfiles"))  # whitenoise warns when it is missing
        process = subprocess.Popen(
            command,
            env=server_env(database_url, data_dir, pool, **extra),
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, process)
            yield base, process
        finally:
            stop(process)
            log.seek(0)
            errors = log.read().decode(errors="replace").strip()
            if errors:
                print(f"server log (last lines):\n{errors[-3000:]}")


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with status {process.returncode}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("uvicorn did not answer /api/v1/health within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- Staff sessions --------------------------------------------------------------------------


def staff_session(base: str, username: str, password: str) -> httpx.Client:
    """A client holding a staff session (the login page's form) and the CSRF token that goes
    with it, sent as X-CSRFToken with every request (the API's session auth checks it)."""
    client = httpx.Client(base_url=base, timeout=60)
    client.get("/login/").raise_for_status()
    form = {
        "username": username,
        "password": password,
        "csrfmiddlewaretoken": client.cookies["csrftoken"],
    }
    answer = client.post("/login/", data=form)
    if answer.status_code != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"login of {username} failed: {answer.status_code}")
    # Logging in rotates the CSRF token: send the new one with every API POST.
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
    return client


# --- CPU accounting --------------------------------------------------------------------------


def proc_stats() -> Iterator[tuple[int, str, list[str]]]:
    """(pid, command name, the fields after it) of every process (Linux /proc)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                head, tail = stat.read().rsplit(")", 1)
        except OSError:
            continue  # ended meanwhile
        yield int(entry), head.split("(", 1)[1], tail.split()


def ticks(fields: list[str], *, reaped: bool = False) -> int:
    """utime + stime, plus the CPU of ended children this process waited for if `reaped`."""
    return sum(int(fields[i]) for i in ((11, 12, 13, 14) if reaped else (11, 12)))


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds spent so far by this load generator, the uvicorn master and workers, the
    whole PostgreSQL cluster (backends come and go: the postmaster accounts for ended ones),
    and the machine (all but idle and iowait)."""
    spent = {"load generator": 0, "uvicorn": 0, "postgres cluster": 0}
    for pid, name, fields in proc_stats():
        if pid == os.getpid():
            spent["load generator"] += ticks(fields)
        elif pid == server_pid or int(fields[1]) == server_pid:
            spent["uvicorn"] += ticks(fields)
        elif name == "postgres":
            spent["postgres cluster"] += ticks(fields, reaped=True)
    with open("/proc/stat") as stat:
        machine = [int(n) for n in stat.readline().split()[1:]]
    spent["machine"] = sum(machine[:8]) - machine[3] - machine[4]
    return {label: n / os.sysconf("SC_CLK_TCK") for label, n in spent.items()}


def cpu_since(before: dict[str, float], server_pid: int) -> dict[str, float]:
    now = cpu_seconds(server_pid)
    return {label: now[label] - before[label] for label in now}


def cpu_probe() -> float:
    """Milliseconds for a fixed pure-Python loop (best of 3): this machine's speed right now.
    Shared virtual machines vary by 2x from one minute to the next; compare runs with it."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        best = min(best, time.perf_counter() - started)
    return best * 1000


def print_cpu(
    cpu: dict[str, float], elapsed: float, requests: int, per: str = "request", width: int = 14
) -> None:
    """Where the machine's CPU went during the timed run; "other" is everything else running.
    The second line divides it by `requests` (or whatever `per` names); labels are `width`
    characters wide."""
    ours = {label: seconds for label, seconds in cpu.items() if label != "machine"}
    ours["other"] = max(0.0, cpu["machine"] - sum(ours.values()))
    available = (os.cpu_count() or 1) * elapsed
    spent = ", ".join(f"{label} {seconds:.1f}" for label, seconds in ours.items())
    print(f"{'CPU s':<{width}} {spent} (busy {cpu['machine']:.1f} of {available:.1f} core-seconds)")
    each = ", ".join(f"{label} {seconds * 1000 / requests:.2f}" for label, seconds in ours.items())
    print(f"{'CPU ms/' + per:<{width}} {each}")
