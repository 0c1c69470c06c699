"""Quality rule py.deep-nesting: compound statements nested more than 4 deep.

Positives nest at least 5 compound statements inside the function body, so
they stay positive whether or not the def itself is counted; negatives nest
at most 3. An elif chain is not nesting, however deep it is in the AST.
"""


# if > for > if > for > if: 5 levels
# ruleid: py.deep-nesting
def find_pairs(groups, limit):
    found = []
    if groups:
        for group in groups:
            if len(group) > 1:
                for item in group:
                    if item > limit:
                        found.append((group, item))
    return found


# for > if > while > try > with > if: 6 levels
# ruleid: py.deep-nesting
def drain(queues, lock, log):
    for q in queues:
        if q.ready:
            while q.pending:
                try:
                    with lock:
                        if q.peek() is not None:
                            log.append(q.pop())
                except IndexError:
                    break
    return log


# if / else > for > if > while > if: 5 levels, reached through the else branch
# ruleid: py.deep-nesting
def sweep(grid, skip):
    cleared = 0
    if skip:
        return cleared
    else:
        for row in grid:
            if row:
                while row[-1] == 0:
                    row.pop()
                    if not row:
                        cleared += 1
    return cleared


# for > if > for: 3 levels
# ok: py.deep-nesting
def flatten_positive(rows):
    out = []
    for row in rows:
        if row:
            for value in row:
                out.append(abs(value))
    return out


# a long elif chain is one level deep
# ok: py.deep-nesting
def weekday_name(n):
    if n == 0:
        name = "Mon"
    elif n == 1:
        name = "Tue"
    elif n == 2:
        name = "Wed"
    elif n == 3:
        name = "Thu"
    elif n == 4:
        name = "Fri"
    elif n == 5:
        name = "Sat"
    elif n == 6:
        name = "Sun"
    else:
        name = "?"
    return name


# many statements one after another, each two levels deep
# ok: py.deep-nesting
def summarize(a, b, c):
    total = 0
    if a:
        for x in a:
            total += x
    if b:
        for x in b:
            total += x
    if c:
        for x in c:
            total += x
    return total


# try / except / else / finally clauses are siblings, not levels
# ok: py.deep-nesting
def read_number(text):
    try:
        value = int(text)
    except ValueError:
        if text:
            value = 0
        else:
            value = -1
    else:
        if value < 0:
            value = -value
    finally:
        text = None
    return value
