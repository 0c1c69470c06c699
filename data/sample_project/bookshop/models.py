"""Domain classes with a small inheritance chain."""

from .util.text import slugify


class Item:
    def __init__(self, title, price):
        self.title = title
        self.price = price
        self.slug = slugify(title)

    def describe(self):
        return f"{self.title} ({self.price:.2f})"

    def total(self, quantity):
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        return self.price * quantity


class Book(Item):
    def __init__(self, title, price, author, pages=0):
        super().__init__(title, price)
        self.author = author
        self.pages = pages

    def describe(self):
        base = super().describe()
        return f"{base} by {self.author}"

    @property
    def is_long(self):
        return self.pages > 500


class EBook(Book):
    def __init__(self, title, price, author, size_mb):
        super().__init__(title, price, author)
        self.size_mb = size_mb

    def describe(self):
        return self.describe_format("epub")

    def describe_format(self, fmt):
        return f"{Book.describe(self)} [{fmt}, {self.size_mb} MB]"
