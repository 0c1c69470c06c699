"""Node rule py.subprocess-shell-true: a subprocess call with shell=True.

Commands here come from plain function parameters (no taint source), so
only the syntactic rule applies. Features: import aliases (module alias,
from-import with rename), multi-line calls, shell=False, argument lists, a
project function that happens to have a `shell` keyword.
"""
import os
import subprocess
import subprocess as sp
from subprocess import Popen
from subprocess import check_output as co


def run(cmd, shell=False):
    # a project helper, not subprocess
    return [cmd, shell]


def list_tmp():
    # ruleid: py.subprocess-shell-true
    subprocess.run("ls -l /tmp", shell=True)


def call_param(cmd):
    # ruleid: py.subprocess-shell-true
    return subprocess.call(cmd, shell=True)


def module_alias():
    # ruleid: py.subprocess-shell-true
    sp.Popen("make all", shell=True)


def renamed_import():
    # ruleid: py.subprocess-shell-true
    return co("git rev-parse HEAD", shell=True)


def multi_line():
    # ruleid: py.subprocess-shell-true
    subprocess.check_call(
        "tar czf /tmp/site.tgz /srv/site",
        cwd="/srv",
        shell=True,
    )


def argument_list():
    # ok: py.subprocess-shell-true
    subprocess.run(["ls", "-l", "/tmp"])


def explicit_false():
    # ok: py.subprocess-shell-true
    Popen(["make"], shell=False)


def string_without_shell():
    # ok: py.subprocess-shell-true
    subprocess.run("/usr/bin/uptime", shell=False)


def output_list(ref):
    # ok: py.subprocess-shell-true
    return sp.check_output(["git", "show", ref])


def project_helper():
    # ok: py.subprocess-shell-true
    return run("ls", shell=True)


def explicit_interpreter():
    # the shell is an explicit argv element; no shell=True keyword
    # ok: py.subprocess-shell-true
    subprocess.run(["bash", "-c", "echo hello"])


def piped_list():
    # ok: py.subprocess-shell-true
    return Popen(["ls", "/srv"], stdout=subprocess.PIPE, text=True)


def os_system_is_not_subprocess():
    # ok: py.subprocess-shell-true
    os.system("uptime")


def alias_without_shell():
    # ok: py.subprocess-shell-true
    return co(["hostname"], text=True)
