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
    if isinstance(message.id, tuple):
        # Every plural form beyond the first uses the plural msgid, as French writes it.
        message.string = (message.id[0],) + (message.id[1],) * (catalog.num_plurals - 1)
    else:
        message.string = message.id
with path.open("wb") as handle:
    write_po(handle, catalog, width=110)
