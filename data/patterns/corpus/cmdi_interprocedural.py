"""Command injection across function boundaries.

Features: helper returns tainted vs. helper returns constant, 2-3 levels of
wrapping, sinks inside callees, context sensitivity of a shared helper,
sanitising helper, choosing one of two parameters.
"""
import os
import shlex


def read_target():
    return input("target: ")


def default_target():
    return "localhost"


def build_ping(host):
    return "ping -c 1 " + host


def build_fixed(host):
    # ignores its argument
    return "ping -c 1 localhost"


def wrap_twice(host):
    return build_ping(host)


def wrap_thrice(host):
    return wrap_twice(host.strip())


def quoted(host):
    return shlex.quote(host)


def pick_second(first, second):
    return second


def identity(value):
    return value


def run_command(cmd):
    # ruleid: py.command-injection
    os.system(cmd)


def run_trusted(cmd):
    # ok: py.command-injection
    os.system(cmd)


def forward_to_runner(cmd):
    run_command("nslookup " + cmd)


def case_source_in_helper():
    # ruleid: py.command-injection
    os.system(build_ping(read_target()))


def case_constant_helper():
    # ok: py.command-injection
    os.system(build_ping(default_target()))


def case_helper_ignores_argument():
    # ok: py.command-injection
    os.system(build_fixed(read_target()))


def case_three_levels():
    # ruleid: py.command-injection
    os.popen(wrap_thrice(read_target()))


def case_three_levels_constant():
    # ok: py.command-injection
    os.popen(wrap_thrice("example.org"))


def case_sanitising_helper():
    # ok: py.command-injection
    os.system("ping -c 1 " + quoted(read_target()))


def case_sink_in_callee():
    forward_to_runner(read_target())


def case_trusted_callee():
    run_trusted("nslookup " + default_target())


def case_pick_clean():
    # ok: py.command-injection
    os.system(pick_second(read_target(), "uptime"))


def case_pick_tainted():
    # ruleid: py.command-injection
    os.system(pick_second("uptime", read_target()))


def case_context_sensitive():
    tainted = identity(read_target())
    clean = identity("uptime")
    # ok: py.command-injection
    os.system(clean)
    # ruleid: py.command-injection
    os.system("host " + tainted)
