"""A shopping cart; prices come from the pricing rules."""

from dataclasses import dataclass, field

from ..pricing import price_for


@dataclass
class LineItem:
    title: str
    unit_price: float
    quantity: int = 1

    def subtotal(self, customer):
        return price_for(self.unit_price, customer, self.quantity)


@dataclass
class Cart:
    customer: dict
    items: list = field(default_factory=list)

    def add(self, title, unit_price, quantity=1):
        for item in self.items:
            if item.title == title:
                item.quantity += quantity
                return item
        item = LineItem(title, unit_price, quantity)
        self.items.append(item)
        return item

    def remove(self, title):
        self.items = [item for item in self.items if item.title != title]

    def total(self):
        return round(sum(item.subtotal(self.customer) for item in self.items), 2)

    def __len__(self):
        return sum(item.quantity for item in self.items)
