"""Search: from a query string to ranked, highlighted, faceted results."""
