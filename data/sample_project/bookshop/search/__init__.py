"""Full-text search over titles."""
