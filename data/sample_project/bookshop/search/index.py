"""An inverted index built from the inventory."""

from collections import defaultdict

from .ranking import rank
from .tokenize import tokens


class InvertedIndex:
    def __init__(self):
        self.postings = defaultdict(set)
        self.documents = {}

    def add(self, doc_id, text):
        self.documents[doc_id] = text
        for word in tokens(text):
            self.postings[word].add(doc_id)

    def query(self, text, limit=10):
        words = list(tokens(text))
        if not words:
            return []
        hits = set.intersection(*(self.postings.get(w, set()) for w in words))
        return rank(hits, words, self.documents)[:limit]

    @classmethod
    def from_inventory(cls, inventory):
        index = cls()
        for depth, category in inventory.root.walk():
            for item in category.items:
                index.add(item.slug, item.describe())
        return index
