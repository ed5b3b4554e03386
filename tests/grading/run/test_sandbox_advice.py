"""coursetools.grading.run.sandbox_advice: the "no sandbox" message names the fix for where it runs."""
from coursetools.grading.run.sandbox_advice import Environment, cannot_start, current, not_linux

PROC = "bwrap: Can't mount proc on /newroot/proc: Operation not permitted"
USERNS = "bwrap: No permissions to creating new namespace, likely because the kernel does not allow"


def test_macos_and_windows_are_sent_to_a_linux_container_with_the_flags_it_needs():
    for platform in ("darwin", "win32"):
        text = not_linux(Environment(platform=platform))
        assert platform in text and "systempaths=unconfined" in text and "docker run" in text


def test_a_kubernetes_pod_is_told_about_an_unmasked_proc_and_the_pod_security_baseline():
    text = cannot_start(PROC, Environment(platform="linux", container="kubernetes"))
    assert "procMount: Unmasked" in text and "privileged" in text and "baseline" in text
    assert "sysctl" not in text and "Can't mount proc" in text


def test_a_docker_container_or_a_proc_that_cannot_be_mounted_gets_the_container_flags():
    for env in (Environment(platform="linux", container="docker"), Environment(platform="linux")):
        text = cannot_start(PROC, env)
        assert "systempaths=unconfined" in text and "seccomp profile alone is not enough" in text


def test_ubuntu_apparmor_gets_the_sysctl_and_switched_off_namespaces_theirs():
    text = cannot_start(USERNS, Environment(platform="linux", apparmor_restricts_userns=True))
    assert "apparmor_restrict_unprivileged_userns=0" in text and "container" not in text
    text = cannot_start(USERNS, Environment(platform="linux", user_namespaces_off=True))
    assert "user.max_user_namespaces" in text


def test_this_machine_is_read_without_error():
    env = current()
    assert env.platform.startswith("linux") and isinstance(env.container, str)
