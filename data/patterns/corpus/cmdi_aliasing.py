"""Command injection through aliasing.

Features: a = b copies, chained assignment, tuple unpacking (element-wise),
swaps, starred unpacking, rebinding after aliasing, list aliasing (mutation
through a second name).
"""
import os


def simple_alias():
    a = input()
    b = a
    # ruleid: py.command-injection
    os.system(b)


def chained_assignment():
    first = second = input()
    # ruleid: py.command-injection
    os.system("echo " + second)


def tuple_unpack_tainted():
    user, cmd = "guest", input()
    # ruleid: py.command-injection
    os.system(cmd)


def tuple_unpack_clean():
    cmd, user = "whoami", input()
    # ok: py.command-injection
    os.system(cmd)


def swap_clean():
    a = input()
    b = "id"
    a, b = b, a
    # after the swap a holds "id"
    # ok: py.command-injection
    os.system(a)


def swap_tainted():
    a = input()
    b = "id"
    a, b = b, a
    # ruleid: py.command-injection
    os.system(b)


def starred_rest():
    head, *rest = input().split()
    # ruleid: py.command-injection
    os.system(" ".join(rest))


def alias_then_rebind_source():
    a = input()
    b = a
    a = "ls"
    # b still refers to the input
    # ruleid: py.command-injection
    os.system(b)


def alias_then_rebind_alias():
    a = input()
    b = a
    b = "pwd"
    # ok: py.command-injection
    os.system(b)


def list_alias_mutation():
    parts = ["echo"]
    view = parts
    view.append(input())
    # parts and view are the same list
    # ruleid: py.command-injection
    os.system(" ".join(parts))


def list_copy_not_alias():
    parts = ["echo", "hello"]
    other = list(parts)
    other.append(input())
    # parts was copied before the append
    # ok: py.command-injection
    os.system(" ".join(parts))
