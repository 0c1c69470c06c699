"""Admin helpers with dangerous flows from user input."""

import subprocess


def evaluate(expression):
    return eval(expression)


def backup(directory):
    command = "tar czf backup.tgz " + directory
    return subprocess.run(command, shell=True, check=False)


def safe_backup(directory):
    return subprocess.run(["tar", "czf", "backup.tgz", directory], check=False)
