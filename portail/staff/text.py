"""French wording shared by the staff screens' messages."""


def count(n, singular, plural):
    """'1 enfant promu', '2 enfants promus' (French: 0 and 1 take the singular)."""
    return f"{n} {singular if n <= 1 else plural}"
