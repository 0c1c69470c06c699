"""Command injection: straight-line flows inside one function.

Sources: input(), sys.argv, sys.stdin, os.environ / os.getenv.
Features: string building (+, %, .format, f-string, join), sanitizers
(shlex.quote, int(), len()), overwritten variables, partial sanitisation.
"""
import os
import shlex
import sys


def ping_concat():
    host = input("host: ")
    # ruleid: py.command-injection
    os.system("ping -c 1 " + host)


def list_percent():
    path = sys.argv[1]
    # ruleid: py.command-injection
    os.system("ls -l %s" % path)


def grep_format():
    pattern = sys.stdin.readline().strip()
    # ruleid: py.command-injection
    os.popen("grep -r {} /var/log".format(pattern))


def archive_fstring():
    name = os.environ["ARCHIVE_NAME"]
    # ruleid: py.command-injection
    os.system(f"tar czf /tmp/{name}.tgz /srv/data")


def echo_join():
    words = input().split()
    cmd = " ".join(["echo"] + words)
    # ruleid: py.command-injection
    os.system(cmd)


def editor_getenv():
    editor = os.getenv("EDITOR", "vi")
    # ruleid: py.command-injection
    os.system(editor + " /tmp/notes.txt")


def copy_half_quoted():
    src = input("from: ")
    dst = input("to: ")
    # only the first operand is quoted; dst still reaches the shell raw
    # ruleid: py.command-injection
    os.system("cp " + shlex.quote(src) + " " + dst)


def branch_may_keep_taint(flag):
    cmd = input()
    if flag:
        cmd = "date"
    # ruleid: py.command-injection
    os.system(cmd)


def walrus_read():
    if (cmd := sys.stdin.read()):
        # ruleid: py.command-injection
        os.popen(cmd)


def ping_quoted():
    host = input("host: ")
    # ok: py.command-injection
    os.system("ping -c 1 " + shlex.quote(host))


def copy_both_quoted():
    src = input("from: ")
    dst = input("to: ")
    # ok: py.command-injection
    os.system("cp %s %s" % (shlex.quote(src), shlex.quote(dst)))


def sleep_int():
    seconds = int(input("seconds: "))
    # ok: py.command-injection
    os.system("sleep %d" % seconds)


def overwritten():
    cmd = input()
    cmd = "uptime"
    # ok: py.command-injection
    os.system(cmd)


def length_only():
    data = input()
    # ok: py.command-injection
    os.system("echo " + str(len(data)))


def constant_after_read():
    _answer = input("continue? ")
    # ok: py.command-injection
    os.system("clear")
