"""The family import (B4) in three steps: `reading` a file into rows,
`validation` of the rows against a structure into a `plan`, `writing` a valid
plan in one transaction. portail/structures/importer.py is its front door and
says the rules."""
