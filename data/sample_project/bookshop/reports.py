"""Reports: generators, context managers and cleanup."""

from .util.text import pad


def lines(inventory):
    for depth, category in inventory.root.walk():
        yield pad(category.name, depth * 2)
        for item in category.items:
            yield pad(item.describe(), depth * 2 + 2)


def write_report(inventory, path):
    handle = open(path, "w")
    try:
        for line in lines(inventory):
            handle.write(line + "\n")
    finally:
        handle.close()


def cheapest(items, n=3):
    return sorted(items, key=lambda item: item.price)[:n]


def summary(inventory):
    with open("summary.txt", "w") as fh:
        fh.write(str(inventory.root.count()))
