"""Fill the French catalogue from its msgids: French is the source language, so fr is the identity."""
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

path = Path(sys.argv[1] if len(sys.argv) > 1 else "translations/fr/LC_MESSAGES/messages.po")
with path.open("rb") as handle:
    catalog = read_po(handle, locale="fr")
for message in catalog:
    if not message.id:
        continue
    message.flags.discard("fuzzy")
    message.string = message.id  # plural ids are (singular, plural): French uses both forms as written
with path.open("wb") as handle:
    write_po(handle, catalog, width=110)
