"""Orders: carts, checkout, payments and invoices."""

from .cart import Cart, LineItem
from .checkout import checkout

__all__ = ["Cart", "LineItem", "checkout"]
