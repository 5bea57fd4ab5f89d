"""Spelling correction (stub)."""
class Speller:
    def correct(self, occurrences, unigrams, parsed):
        return None
