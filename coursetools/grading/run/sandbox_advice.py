"""What to do when no sandbox can start here: the fix that fits the environment the grader finds.

bubblewrap needs Linux, unprivileged user namespaces and the right to mount a ``/proc`` of its
own. Each environment takes those away in its own way, and each has its own fix:

- macOS or Windows: no Linux namespaces at all -> grade inside a Linux container or VM;
- Ubuntu 23.10 and later: AppArmor forbids unprivileged user namespaces
  (``kernel.apparmor_restrict_unprivileged_userns = 1``) -> allow them with sysctl;
- a container (Docker, Podman, a Kubernetes pod): the runtime masks parts of ``/proc``, so
  bubblewrap "can't mount proc" whatever the seccomp profile (bubblewrap issues #284, #505) ->
  an unmasked ``/proc`` (``docker run --security-opt systempaths=unconfined``; in Kubernetes
  ``procMount: Unmasked`` with ``hostUsers: false``, or ``privileged: true``: both are outside
  the Pod Security "baseline" profile) and a seccomp profile that allows ``unshare``;
- user namespaces switched off (``user.max_user_namespaces = 0``) -> switch them on.
"""
from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

GUIDE = "see 'Where the sandbox runs' in the instructor guide"


@dataclasses.dataclass(frozen=True)
class Environment:
    platform: str = sys.platform
    container: str = ""                 # "kubernetes", "docker", "podman", "container" or ""
    apparmor_restricts_userns: bool = False
    user_namespaces_off: bool = False


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def current() -> Environment:
    """The facts of this machine that decide which fix applies."""
    if os.environ.get("KUBERNETES_SERVICE_HOST") or "kubepods" in _read("/proc/1/cgroup"):
        container = "kubernetes"
    elif Path("/.dockerenv").exists() or "docker" in _read("/proc/1/cgroup"):
        container = "docker"
    elif Path("/run/.containerenv").exists():
        container = "podman"
    elif os.environ.get("container"):
        container = "container"
    else:
        container = ""
    return Environment(platform=sys.platform, container=container,
                       apparmor_restricts_userns=_read(
                           "/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1",
                       user_namespaces_off=_read("/proc/sys/user/max_user_namespaces") == "0")


def not_linux(env: Environment) -> str:
    return (f"the sandbox needs Linux (this is {env.platform}): grade inside a Linux container "
            "or VM, e.g. `docker run --rm -it --security-opt systempaths=unconfined "
            "--security-opt seccomp=unconfined --security-opt apparmor=unconfined -v "
            "\"$PWD\":/course -w /course python:3.11-bookworm make grade ...` "
            f"({GUIDE})")


def cannot_start(stderr: str, env: Environment) -> str:
    """Why bubblewrap failed (its own words) and the fix for this environment."""
    said = stderr.strip()[:200] or "no message"
    if env.apparmor_restricts_userns:
        fix = ("AppArmor forbids unprivileged user namespaces here (Ubuntu 23.10 and later): "
               "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`")
    elif env.user_namespaces_off:
        fix = "user namespaces are switched off: `sudo sysctl -w user.max_user_namespaces=15000`"
    elif env.container == "kubernetes":
        fix = ("this is a Kubernetes pod, whose /proc is masked: give the grading container an "
               "unmasked /proc (`securityContext.procMount: Unmasked` with `hostUsers: false`) "
               "or `privileged: true`, both outside the Pod Security baseline profile; a seccomp "
               "profile alone is not enough")
    elif env.container or "mount proc" in stderr:
        fix = ("this looks like a container, whose /proc is masked: start it with "
               "`--security-opt systempaths=unconfined --security-opt seccomp=unconfined` "
               "(Docker, Podman) or `--privileged`; a seccomp profile alone is not enough")
    else:
        fix = ("unprivileged user namespaces seem to be unavailable: on Ubuntu `sudo sysctl -w "
               "kernel.apparmor_restrict_unprivileged_userns=0`, elsewhere `sudo sysctl -w "
               "user.max_user_namespaces=15000`")
    return f"bubblewrap cannot create a sandbox here ({said}); {fix} ({GUIDE})"
