"""The family import (B4): `reading` a file into rows, `validation` of each
row and `matching` of the rows together into a `plan`, `writing` a valid plan
in one transaction. portail/structures/importer.py is its front door and says
the rules."""
