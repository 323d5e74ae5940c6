"""French small words that depend on the next word: « de » or « d' » (issue 14 point 4).

The portal's messages are written in French (the msgids), and some put a
name or a month after « de »: « Consommations d'octobre », « Réservation
d'Émile », but « Consommations de novembre ». Only French needs it; an English
translation simply does not use the elided value (its placeholder is the
plain one, see the catalogues).

What may go through `de`: month names, first names and common nouns. Not the
name of a structure or an activity (« Mairie de CarteVille », « Accueil du
soir », « Les Pinsons »): such a name may need an article (« de la Mairie »,
« des Pinsons ») that no rule can guess; messages put it after a dash
(« Informations — Mairie de CarteVille ») or after « pour ».

Months are written in lower case inside a sentence (« d'octobre 2026 »):
`portail.lib.dates.month_year` gives that form; a title capitalises it.
"""

import unicodedata

# Words whose h is "aspirated" (no elision: « de haricots », « de huit »):
# a word starting with one of these stems keeps « de ». Any other h is mute
# (« d'hiver », « d'heures », « d'Hugo »).
ASPIRATED_H = (
    "hache", "haie", "haine", "hall", "halte", "hamac", "hameau", "hamster", "hanche", "handicap", "hangar",
    "hardi", "haricot", "hasard", "haut", "hérisson", "hernie", "héron", "héros", "hêtre", "hibou", "hiérarch",
    "hockey", "hollande", "homard", "honte", "hoquet", "hors", "hotte", "houx", "huit", "hurl", "hutte",
)  # fmt: skip

_VOWELS = frozenset("aeiou")


def _plain(letter: str) -> str:
    """The letter without its accent, in lower case: 'É' -> 'e', 'œ' -> 'œ'."""
    decomposed = unicodedata.normalize("NFD", letter.lower())
    return decomposed[0] if decomposed else ""


def elides(word: str) -> bool:
    """True when « de » before `word` becomes « d' ».

    Before a vowel, accented or not, or œ/æ (« d'octobre », « d'Émile »,
    « d'œufs »); before a mute h (« d'hiver », not « de haricots », see
    ASPIRATED_H); before a y followed by a consonant (« d'Yves », but
    « de yaourt », « de Yann »). Never before a digit, a sign or nothing.
    """
    text = word.lstrip()
    if not text:
        return False
    first = _plain(text[0])
    if first in _VOWELS or first in {"œ", "æ"}:
        return True
    if first == "h":
        lowered = unicodedata.normalize("NFC", text.lower())
        return not lowered.startswith(ASPIRATED_H)
    if first == "y":
        following = _plain(text[1]) if len(text) > 1 else ""
        return following.isalpha() and following not in _VOWELS
    return False


def de(word: str) -> str:
    """« de » followed by `word`, elided when French elides it: 'd'octobre 2026', 'de novembre 2026'."""
    text = word.strip()
    return f"d'{text}" if elides(text) else f"de {text}"
