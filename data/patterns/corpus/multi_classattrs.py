"""Class attributes, properties and instance state.

Features: a constant class attribute, a class attribute initialised from
the environment, a class attribute assigned at run time, an instance
attribute that shadows (or not) a class attribute, a property, a classmethod
factory reading the request, two instances of one class, a quoting setter.
"""
import os
import shlex

from flask import Flask, request

app = Flask(__name__)


class Tool:
    COMMAND = "uptime"


class Settings:
    BACKUP_DIR = os.environ["BACKUP_DIR"]


class Registry:
    last_cmd = "true"


class Job:
    cmd = "true"

    def __init__(self, user_cmd):
        self.user_cmd = user_cmd

    def run(self):
        # self.cmd resolves to the class attribute; user_cmd is never used here
        # ok: py.command-injection
        os.system(self.cmd)


class OverridingJob:
    cmd = "true"

    def __init__(self, cmd):
        self.cmd = cmd

    def run(self):
        # ruleid: py.command-injection
        os.system(self.cmd)


class Pinger:
    def __init__(self, host):
        self.host = host

    @property
    def command(self):
        return "ping -c 1 " + self.host

    @classmethod
    def from_request(cls):
        return cls(request.args["host"])


class Holder:
    def __init__(self, value):
        self.value = value


class QuotedTarget:
    def __init__(self):
        self.target = "localhost"

    def set_target(self, raw):
        self.target = shlex.quote(raw)

    def trace(self):
        # ok: py.command-injection
        os.system("traceroute " + self.target)


def class_constant():
    _ = input()
    # ok: py.command-injection
    os.system(Tool.COMMAND)


def class_from_env():
    # ruleid: py.command-injection
    os.system("tar czf /tmp/backup.tgz " + Settings.BACKUP_DIR)


def registry_store():
    Registry.last_cmd = input()


def registry_replay():
    # ruleid: py.command-injection
    os.system(Registry.last_cmd)


def job_cases():
    Job(input()).run()
    OverridingJob(input()).run()


def property_case():
    p = Pinger(input())
    # ruleid: py.command-injection
    os.system(p.command)


@app.route("/ping")
def ping_view():
    p = Pinger.from_request()
    # ruleid: py.command-injection
    os.popen(p.command)
    return "done"


def two_instances():
    tainted = Holder(input())
    clean = Holder("whoami")
    # ok: py.command-injection
    os.system(clean.value)
    # ruleid: py.command-injection
    os.system(tainted.value)


def quoted_target():
    q = QuotedTarget()
    q.set_target(input())
    q.trace()
