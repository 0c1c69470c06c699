"""Sales analytics."""
