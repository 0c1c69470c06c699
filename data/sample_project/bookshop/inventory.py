"""Stock keeping: calls into models, pricing and storage."""

from . import storage
from .models import Book, EBook
from .pricing import price_for


class Category:
    def __init__(self, name, children=None):
        self.name = name
        self.children = children or []
        self.items = []

    def count(self):
        """Recursive: items in this category and all below it."""
        return len(self.items) + sum(child.count() for child in self.children)

    def walk(self, depth=0):
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


class Inventory:
    def __init__(self, db_path=":memory:"):
        self.db = storage.connect(db_path)
        self.root = Category("all")

    def add_book(self, title, price, author, electronic=False, size_mb=1):
        if electronic:
            item = EBook(title, price, author, size_mb)
        else:
            item = Book(title, price, author)
        self.root.items.append(item)
        storage.save_item(self.db, item)
        return item

    def find(self, title):
        return storage.find_by_title(self.db, title)

    def quote(self, title, customer, quantity):
        rows = self.find(title)
        if not rows:
            return None
        price = rows[0][1]
        return price_for(price, customer, quantity)

    def titles(self):
        return sorted(item.title for item in self.root.items if item.price > 0)
