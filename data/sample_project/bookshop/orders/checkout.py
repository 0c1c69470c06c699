"""Checkout: payments, stock and invoices together (a long function with many parameters)."""

from .. import storage
from .invoices import write_invoice
from .payments import PaymentError, provider_for


def checkout(cart, inventory, method, number, directory=".", notify=None, dry_run=False,
             retries=2):
    if not len(cart):
        return {"status": "empty"}
    for item in cart.items:
        found = inventory.find(item.title)
        if not found:
            return {"status": "unavailable", "title": item.title}
    amount = cart.total()
    attempt = 0
    while True:
        try:
            receipt = provider_for(method).charge(amount, number) if not dry_run else None
            break
        except PaymentError as err:
            attempt += 1
            if attempt > retries:
                return {"status": "payment_failed", "error": str(err)}
        finally:
            storage.delete_all(inventory.db) if dry_run else None
    path = write_invoice(cart, number, directory)
    if notify is not None:
        notify(number, amount)
    return {"status": "ok", "receipt": receipt, "invoice": path}
