"""A toy web layer: routes and handlers that take user input."""
