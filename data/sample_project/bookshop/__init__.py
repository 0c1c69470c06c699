"""A tiny bookshop: the workbench's bundled sample code base."""

from .inventory import Inventory
from .models import Book, EBook, Item

__all__ = ["Book", "EBook", "Inventory", "Item"]
