"""Examples for py.subprocess-shell-true (CWE-78): subprocess calls through the shell."""

import subprocess
from subprocess import PIPE, Popen
from subprocess import call as run_call


def build(target):
    # ruleid: py.subprocess-shell-true
    subprocess.run("make " + target, shell=True, check=True)


def listing(directory):
    cmd = f"ls -la {directory}"
    # ruleid: py.subprocess-shell-true
    proc = Popen(cmd, shell=True, stdout=PIPE)
    return proc.communicate()[0]


def aliased(cmd):
    # ruleid: py.subprocess-shell-true
    return run_call(cmd, shell=True)


def multiline(cmd):
    # ruleid: py.subprocess-shell-true
    return subprocess.check_output(
        cmd,
        shell=True,
        text=True,
    )


def argument_list(directory):
    # ok: py.subprocess-shell-true
    return subprocess.run(["ls", "-la", directory], check=True)


def explicit_false(cmd):
    # ok: py.subprocess-shell-true
    return subprocess.run(cmd, shell=False, check=True)


def constant_command():
    # still the shell, one edit away from an injection
    # ruleid: py.subprocess-shell-true
    return subprocess.check_call("uptime", shell=True)
