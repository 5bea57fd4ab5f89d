"""More like this (stub)."""
def similar(searcher, doc_id, limit):
    return None
