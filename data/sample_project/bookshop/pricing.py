"""Pricing rules. `price_for` is deliberately too complex: a code smell to find."""


def price_for(price, customer, quantity):
    total = price * quantity
    if customer.get("member"):
        if quantity > 10:
            if customer.get("years", 0) > 5:
                total *= 0.7
            elif customer.get("years", 0) > 2:
                total *= 0.8
            else:
                total *= 0.85
        elif quantity > 5:
            total *= 0.9
        else:
            if customer.get("birthday"):
                total *= 0.95
    else:
        if quantity > 20:
            total *= 0.9
    for coupon in customer.get("coupons", []):
        if coupon == "FREESHIP":
            continue
        if coupon.startswith("PCT"):
            total *= 1 - int(coupon[3:]) / 100
    return round(total, 2)


def shipping(order):
    match order:
        case {"country": "NL", "weight": w} if w < 2:
            return 4.5
        case {"country": "NL"}:
            return 7.0
        case {"country": country} if country in ("BE", "DE"):
            return 9.5
        case _:
            return 15.0
