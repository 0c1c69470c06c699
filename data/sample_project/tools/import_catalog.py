"""Import a catalogue CSV: a script outside the package that calls into it."""

import csv
import os
import sys

from bookshop import Inventory


def load(path, inventory):
    count = 0
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            inventory.add_book(row["title"], float(row["price"]), row["author"],
                               electronic=row.get("format") == "epub")
            count += 1
    return count


def main():
    path = sys.argv[1]
    os.system("cp " + path + " /tmp/last-import.csv")  # command injection via argv
    print(load(path, Inventory()), "books imported")


if __name__ == "__main__":
    main()
