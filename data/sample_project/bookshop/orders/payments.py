"""Payment providers: a small class hierarchy with an abstract base."""

import abc


class PaymentError(Exception):
    pass


class PaymentProvider(abc.ABC):
    fee = 0.0

    def charge(self, amount, reference):
        if amount <= 0:
            raise PaymentError("nothing to charge")
        total = amount + self.fees(amount)
        return self.submit(total, reference)

    def fees(self, amount):
        return round(amount * self.fee, 2)

    @abc.abstractmethod
    def submit(self, amount, reference):
        raise NotImplementedError


class CardProvider(PaymentProvider):
    fee = 0.029

    def submit(self, amount, reference):
        return {"status": "charged", "amount": amount, "reference": reference}


class InvoiceProvider(PaymentProvider):
    def submit(self, amount, reference):
        return {"status": "invoiced", "amount": amount, "reference": reference}


def provider_for(method):
    match method:
        case "card" | "credit":
            return CardProvider()
        case "invoice":
            return InvoiceProvider()
        case _:
            raise PaymentError(f"unknown payment method {method!r}")
