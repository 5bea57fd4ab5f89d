"""Suggestions (stub)."""
class Suggester:
    def suggest(self, occurrences, prefix, limit):
        return []
