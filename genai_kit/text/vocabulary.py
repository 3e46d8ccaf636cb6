"""Characters to integer ids and back.

A :class:`Vocabulary` is the sorted set of characters of a corpus. Ids are 0..size-1, in the
order of the characters' code points, so the same corpus always gives the same ids.

Unknown characters (in a prompt, or in a text the vocabulary was not built from) are an
error by default, and the message lists them; ``unknown="drop"`` leaves them out instead.
"""
import numpy as np

from genai_kit import checks

UNKNOWN_POLICIES = ("error", "drop")


class Vocabulary:
    """The characters a model reads and writes.

    Args:
        symbols: a non-empty str (or iterable of single characters) with no repeats.
    """

    def __init__(self, symbols):
        symbols = "".join(symbols)
        if not symbols:
            raise ValueError("a vocabulary needs at least one character: build it from a "
                             "non-empty text with Vocabulary.from_text(text)")
        if len(set(symbols)) != len(symbols):
            raise ValueError("a vocabulary's characters must be distinct: use "
                             "Vocabulary.from_text(text), which sorts and deduplicates them")
        self.symbols = symbols
        self._ids = {symbol: index for index, symbol in enumerate(symbols)}
        # code points sorted, with each one's id: encode looks a whole text up at once
        code_points = np.array([ord(symbol) for symbol in symbols], dtype=np.uint32)
        self._order = np.argsort(code_points)
        self._sorted_code_points = code_points[self._order]

    @classmethod
    def from_text(cls, text):
        """The sorted distinct characters of ``text`` (a non-empty str)."""
        check_text("text", text)
        return cls(sorted(set(text)))

    @property
    def size(self):
        """The number of characters V."""
        return len(self.symbols)

    def __len__(self):
        return self.size

    def __eq__(self, other):
        return isinstance(other, Vocabulary) and other.symbols == self.symbols

    def __hash__(self):
        return hash(self.symbols)

    def __repr__(self):
        return f"Vocabulary({self.size} characters: {self.symbols!r})"

    def unknown_characters(self, text):
        """The characters of ``text`` that are not in the vocabulary, sorted (a str)."""
        return "".join(sorted(set(text) - set(self._ids)))

    def encode(self, text, unknown="error"):
        """``text`` as ids.

        Args:
            text: a str.
            unknown: "error" (a ValueError that names the unknown characters) or "drop"
                (leave them out).
        Returns:
            int32 array (len(text),) in [0, size), fewer entries when characters are dropped.
        """
        checks.choice("unknown", unknown, UNKNOWN_POLICIES)
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}: decode bytes "
                             "first with .decode('utf-8')")
        missing = self.unknown_characters(text)
        if missing and unknown == "error":
            raise ValueError(
                f"the text has {len(missing)} character(s) outside the vocabulary: "
                f"{_show(missing)}; the model knows only {self.symbols!r}. Remove or replace "
                "them, or pass unknown='drop' to leave them out")
        code_points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        positions = np.searchsorted(self._sorted_code_points, code_points)
        positions = np.minimum(positions, self.size - 1)
        known = self._sorted_code_points[positions] == code_points
        return self._order[positions[known]].astype(np.int32)

    def decode(self, ids):
        """Ids back to text.

        Args:
            ids: ints in [0, size), any shape that flattens to one sequence.
        Returns:
            str.
        """
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (ids.dtype.kind not in "iu" or ids.min() < 0 or ids.max() >= self.size):
            raise ValueError(f"ids must be whole numbers in [0, {self.size}), got values in "
                             f"[{ids.min()}, {ids.max()}] of dtype {ids.dtype}")
        return "".join(self.symbols[index] for index in ids)


def check_text(name, text):
    """``text`` if it is a non-empty str; else a ValueError that says what to pass."""
    if not isinstance(text, str):
        raise ValueError(f"{name} must be a str, got {type(text).__name__}")
    if not text:
        raise ValueError(f"{name} is empty: a language model needs at least one character "
                         "of text")
    return text


def _show(characters):
    return ", ".join(repr(symbol) for symbol in characters)
