"""The seed's "Usage Examples" (README, "Using the store from Python"), verbatim, with a small
Contact class. FileStorage() uses $HOME, pointed at a temporary directory; the
example's /path/to/export and /path/to/import are mapped under it (the same
directory, so the import reads the export)."""

from pathlib import Path

import pa_journal

BASIC_USAGE = """
# Initialize storage
storage = FileStorage()

# Save contacts
contacts_data = [contact.to_dict() for contact in contacts]
storage.save('contacts.json', contacts_data)

# Load contacts
contacts_data = storage.load('contacts.json')
contacts = [Contact.from_dict(data) for data in contacts_data]
"""

WITH_BACKUP = """
# Create backup before saving
storage.create_backup('contacts.json')
storage.save('contacts.json', contacts_data)

# List available backups
backups = storage.list_backups('contacts.json')
for backup in backups:
    print(f"Backup: {backup['filename']} - {backup['timestamp']}")

# Restore from backup
storage.restore_from_backup('contacts.json')
"""

WITH_ERROR_HANDLING = """
try:
    # Try to load data
    data = storage.load('contacts.json')
except CorruptedDataError:
    # Attempt recovery
    data = recover_from_corruption(storage, 'contacts.json')
    if not data:
        # Start fresh if recovery fails
        data = []
"""

EXPORT_IMPORT = """
# Export all data
export_path = Path('/path/to/export')
storage.export_data(export_path)

# Import data
import_path = Path('/path/to/import')
storage.import_data(import_path)
"""


class Contact:
    def __init__(self, name, phone, birthday=None):
        self.name, self.phone, self.birthday = name, phone, birthday

    def to_dict(self):
        return {"name": self.name, "phone": self.phone, "birthday": self.birthday}

    @classmethod
    def from_dict(cls, data):
        return cls(data["name"], data["phone"], data.get("birthday"))

    def __eq__(self, other):
        return self.to_dict() == other.to_dict()


def test_usage_examples(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    exchange = tmp_path / "exchange"

    def example_path(p):
        assert p in ("/path/to/export", "/path/to/import")
        return exchange

    contacts = [Contact("Alice", "555-0100"), Contact("Bob", "555-0101", "1990-05-01")]
    ns = {name: getattr(pa_journal, name) for name in pa_journal.__all__}
    ns.update(Contact=Contact, contacts=list(contacts), Path=example_path)

    exec(BASIC_USAGE, ns)
    storage = ns["storage"]
    assert storage.base_dir == tmp_path / "home" / ".personal_assistant"
    assert ns["contacts"] == contacts

    ns["contacts_data"] = [c.to_dict() for c in contacts[:1]]
    exec(WITH_BACKUP, ns)
    assert "Backup: contacts_" in capsys.readouterr().out
    # The backup was made before the save: restoring it brings both back.
    assert storage.load("contacts.json") == [c.to_dict() for c in contacts]

    exec(WITH_ERROR_HANDLING, ns)
    assert ns["data"] == [c.to_dict() for c in contacts]

    exec(EXPORT_IMPORT, ns)
    assert (exchange / "contacts.json").is_file()
    assert storage.last_error() == ""  # the import succeeded
    assert storage.load("contacts.json") == [c.to_dict() for c in contacts]
    storage.close()
