"""Indexing: reading the portal's archive, Vietnamese analysis, and the Whoosh index."""
