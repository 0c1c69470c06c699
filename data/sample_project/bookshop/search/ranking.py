"""Ranking: a recursive merge sort and a scoring function."""


def score(doc, words):
    text = doc.lower()
    total = 0
    for word in words:
        count = text.count(word)
        if count:
            total += 1 + count
            if text.startswith(word):
                total += 2
    return total


def merge_sort(items, key):
    if len(items) <= 1:
        return list(items)
    middle = len(items) // 2
    left = merge_sort(items[:middle], key)
    right = merge_sort(items[middle:], key)
    merged = []
    while left and right:
        merged.append(left.pop(0) if key(left[0]) >= key(right[0]) else right.pop(0))
    return merged + left + right


def rank(hits, words, documents):
    return merge_sort(sorted(hits), key=lambda doc_id: score(documents[doc_id], words))
