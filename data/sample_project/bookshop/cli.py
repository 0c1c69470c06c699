"""Command-line entry point: user input flows into the rest of the package."""

import sys

from . import admin
from .inventory import Inventory
from .reports import write_report


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    inventory = Inventory()
    if not argv:
        print("usage: bookshop (find TITLE | eval EXPR | backup DIR | report PATH)")
        return 2
    command, *rest = argv
    if command == "find":
        print(inventory.find(rest[0]))
    elif command == "eval":
        print(admin.evaluate(input("expression> ")))
    elif command == "backup":
        admin.backup(rest[0])
    elif command == "report":
        write_report(inventory, rest[0])
    else:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
