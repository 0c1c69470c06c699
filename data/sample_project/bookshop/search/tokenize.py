"""Tokenising titles."""

import re

WORD = re.compile(r"[a-z0-9]+")
STOP = frozenset({"a", "an", "and", "of", "the", "to"})


def tokens(text):
    for match in WORD.finditer(text.lower()):
        word = match.group()
        if word not in STOP:
            yield word


def ngrams(words, n=2):
    words = list(words)
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
