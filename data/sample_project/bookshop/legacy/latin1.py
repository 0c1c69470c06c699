"""Written in Latin-1 without a coding line: a decode error on purpose."""

GREETING = "Café ouvert"
