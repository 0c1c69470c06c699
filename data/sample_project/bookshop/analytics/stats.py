"""Descriptive statistics written by hand (the kind of code people do write)."""


def mean(values):
    try:
        return sum(values) / len(values)
    except ZeroDivisionError:
        return 0.0


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return 0.0
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def running_total(values):
    total = 0
    i = 0
    while i < len(values):
        total += values[i]
        yield total
        i += 1
