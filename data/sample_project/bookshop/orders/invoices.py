"""Invoices: rendered lines, written to disk."""

import datetime


def invoice_lines(cart, number):
    yield f"Invoice {number} — {datetime.date.today():%Y-%m-%d}"
    for item in cart.items:
        yield f"{item.title:<40} {item.quantity:>3} x {item.unit_price:>8.2f}"
    yield f"{'Total':<40} {cart.total():>16.2f}"


def write_invoice(cart, number, directory="."):
    path = f"{directory}/invoice-{number}.txt"
    with open(path, "w") as fh:
        for line in invoice_lines(cart, number):
            fh.write(line + "\n")
    return path
