"""Dead code and overwritten values.

Features: sinks after return / raise / sys.exit() / continue, under
`if False:` and `if 0:`, the live else-branch of `if False:`, values
overwritten on every path, del + rebind, a loop that may store taint.
"""
import os
import pickle
import shlex
import sqlite3
import sys

conn = sqlite3.connect("/srv/app.db")


def after_return():
    cmd = input()
    return cmd
    # ok: py.command-injection
    os.system(cmd)


def after_raise():
    expr = input()
    raise RuntimeError("evaluation disabled")
    # ok: py.code-injection
    eval(expr)


def after_exit():
    data = sys.stdin.read().encode()
    sys.exit(1)
    # ok: py.unsafe-deserialization
    pickle.loads(data)


def under_if_false():
    name = input()
    if False:
        # ok: py.sql-injection
        conn.execute("DELETE FROM users WHERE name = '" + name + "'")


def under_if_zero():
    cmd = input()
    if 0:
        # ok: py.command-injection
        os.system(cmd)


def live_else_branch():
    cmd = input()
    if False:
        cmd = "true"
    else:
        # ruleid: py.command-injection
        os.system(cmd)


def after_continue():
    for line in sys.stdin.readlines():
        continue
        # ok: py.command-injection
        os.system(line)


def overwritten_both_branches(verbose):
    cmd = input()
    if verbose:
        cmd = "ls -l"
    else:
        cmd = "ls"
    # ok: py.command-injection
    os.system(cmd)


def overwritten_by_quote():
    path = input()
    path = shlex.quote(path)
    # ok: py.command-injection
    os.system("cat " + path)


def deleted_and_rebound():
    cmd = input()
    del cmd
    cmd = "uptime"
    # ok: py.command-injection
    os.system(cmd)


def loop_may_store_taint():
    cmd = "true"
    for line in sys.stdin.readlines():
        cmd = line.strip()
    # ruleid: py.command-injection
    os.system(cmd)


def sink_before_return():
    cmd = input()
    # ruleid: py.command-injection
    os.system(cmd)
    return cmd
