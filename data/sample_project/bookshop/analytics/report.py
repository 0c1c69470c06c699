"""A monthly report: one function that does everything (a code smell to find)."""

from ..reports import cheapest
from .stats import mean, median, percentile


def monthly_report(orders, inventory, month, currency="EUR", top=5, include_refunds=False):
    lines = [f"Report for {month}"]
    totals, refunds, by_customer = [], [], {}
    for order in orders:
        if order.get("month") != month:
            continue
        if order.get("status") == "refunded":
            if include_refunds:
                refunds.append(order["amount"])
            continue
        totals.append(order["amount"])
        customer = order.get("customer")
        if customer:
            if customer not in by_customer:
                by_customer[customer] = []
            by_customer[customer].append(order["amount"])
            if len(by_customer[customer]) > 10:
                if order["amount"] > 100:
                    lines.append(f"big spender: {customer}")
    if totals:
        lines.append(f"orders: {len(totals)}, mean {mean(totals):.2f} {currency}")
        lines.append(f"median {median(totals):.2f}, p90 {percentile(totals, 90):.2f}")
    else:
        lines.append("no orders")
    if refunds:
        lines.append(f"refunds: {len(refunds)}")
    best = sorted(by_customer.items(), key=lambda kv: -sum(kv[1]))[:top]
    for customer, amounts in best:
        lines.append(f"{customer}: {sum(amounts):.2f}")
    for item in cheapest(inventory.root.items):
        lines.append(f"cheapest: {item.describe()}")
    return "\n".join(lines)
