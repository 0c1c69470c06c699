"""Examples for py.complex-function: McCabe complexity above 10."""


# ruleid: py.complex-function
def http_reason(code):
    if code == 200:
        return "OK"
    if code == 201:
        return "Created"
    if code == 204:
        return "No Content"
    if code == 301:
        return "Moved Permanently"
    if code == 302:
        return "Found"
    if code == 304:
        return "Not Modified"
    if code == 400:
        return "Bad Request"
    if code == 401:
        return "Unauthorized"
    if code == 403:
        return "Forbidden"
    if code == 404:
        return "Not Found"
    return "Unknown"


# ok: py.complex-function
def classify(n):
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    if n < 10:
        return "small"
    if n < 100:
        return "medium"
    if n < 1000:
        return "large"
    if n < 10000:
        return "huge"
    if n < 100000:
        return "enormous"
    if n < 1000000:
        return "gigantic"
    if n < 10000000:
        return "colossal"
    return "astronomical"


# ruleid: py.complex-function
def walk(items):
    total = 0
    for item in items:
        if item is None:
            continue
        elif isinstance(item, int):
            total += item
        elif isinstance(item, float):
            total += int(item)
        elif isinstance(item, str):
            if item.isdigit():
                total += int(item)
            elif item == "ten":
                total += 10
        else:
            try:
                total += len(item)
            except TypeError:
                pass
            except ValueError:
                pass
    while total > 1000:
        total -= 1000
    return total


# ok: py.complex-function
def identity(x):
    return x
