"""Quality rule py.complex-function: McCabe complexity > 10.

Cases avoid boolean operators and nested functions, on which complexity
counters differ; decisions are if / for / while / except (each +1), and the
ok cases stay clear of the threshold even if comprehensions are counted.
Nesting stays <= 3 and parameters <= 5.
"""


# 11 ifs: complexity 12
# ruleid: py.complex-function
def shipping_cost(weight, country, express, insured, items):
    cost = 5
    if weight > 1:
        cost += 2
    if weight > 5:
        cost += 5
    if weight > 20:
        cost += 15
    if country != "DE":
        cost += 4
    if country in ("US", "CA"):
        cost += 6
    if express:
        cost *= 2
    if insured:
        cost += 3
    if items > 10:
        cost -= 1
    if items > 50:
        cost -= 3
    if cost < 0:
        cost = 0
    if cost > 100:
        cost = 100
    return cost


# exactly 10 ifs: complexity 11
# ruleid: py.complex-function
def grade_flags(score):
    flags = []
    if score > 10:
        flags.append("a")
    if score > 20:
        flags.append("b")
    if score > 30:
        flags.append("c")
    if score > 40:
        flags.append("d")
    if score > 50:
        flags.append("e")
    if score > 60:
        flags.append("f")
    if score > 70:
        flags.append("g")
    if score > 80:
        flags.append("h")
    if score > 90:
        flags.append("i")
    if score > 99:
        flags.append("j")
    return flags


# for, while, 3 excepts and 6 ifs: complexity 12
# ruleid: py.complex-function
def parse_records(lines):
    records = []
    for line in lines:
        if not line:
            continue
        if line.startswith("#"):
            continue
        try:
            key, value = line.split("=", 1)
        except ValueError:
            continue
        if key == "count":
            try:
                value = int(value)
            except ValueError:
                value = 0
        if key == "ratio":
            try:
                value = float(value)
            except ValueError:
                value = 0.0
        records.append((key, value))
    index = 0
    while index < len(records):
        if records[index][0] == "end":
            break
        index += 1
    if not records:
        return None
    return records[:index]


# exactly 9 ifs: complexity 10
# ok: py.complex-function
def level_flags(score):
    flags = []
    if score > 10:
        flags.append("a")
    if score > 20:
        flags.append("b")
    if score > 30:
        flags.append("c")
    if score > 40:
        flags.append("d")
    if score > 50:
        flags.append("e")
    if score > 60:
        flags.append("f")
    if score > 70:
        flags.append("g")
    if score > 80:
        flags.append("h")
    if score > 90:
        flags.append("i")
    return flags


# long but straight-line: complexity 1
# ok: py.complex-function
def build_report(rows):
    total = sum(r[1] for r in rows)
    count = len(rows)
    first = rows[0]
    last = rows[-1]
    names = [r[0] for r in rows]
    header = "Report"
    line1 = "rows: %d" % count
    line2 = "total: %d" % total
    line3 = "first: %s" % (first,)
    line4 = "last: %s" % (last,)
    line5 = "names: " + ", ".join(names)
    footer = "end"
    parts = [header, line1, line2, line3, line4, line5, footer]
    text = "\n".join(parts)
    return text


HANDLERS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
}


# a table lookup instead of branches: complexity 2
# ok: py.complex-function
def dispatch(op, a, b):
    handler = HANDLERS.get(op)
    if handler is None:
        raise KeyError(op)
    return handler(a, b)
