"""Examples for py.deep-nesting: compound statements nested more than 4 deep."""


# ruleid: py.deep-nesting
def find_config(roots):
    for root in roots:
        if root:
            for name in root:
                while name:
                    with open(name) as fh:
                        return fh.read()
    return None


# ok: py.deep-nesting
def four_levels(rows):
    for row in rows:
        if row:
            for cell in row:
                if cell:
                    return cell
    return None


# ok: py.deep-nesting
def elif_chain(x):
    if x == 1:
        return "one"
    elif x == 2:
        return "two"
    elif x == 3:
        return "three"
    elif x == 4:
        return "four"
    elif x == 5:
        return "five"
    return "many"


# ruleid: py.deep-nesting
def parse(lines):
    try:
        for line in lines:
            if line.strip():
                try:
                    if line.startswith("#"):
                        return None
                except ValueError:
                    return None
    except OSError:
        return None
    return lines
