"""The seed's FileStorage tests (the seed's "Testing Requirements" list),
run against pa_journal, plus adoption, bad input and the GIL."""

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

import pa_journal
from pa_journal import (BackupNotFoundError, ConfigManager, CorruptedDataError,
                        FileStorage, InvalidInputError, StorageError,
                        recover_from_corruption)

CONTACTS = [
    {"id": "c1", "name": "Alice", "phone": "555-0100", "tags": ["work"]},
    {"id": "c2", "name": "Bjørn", "emails": [], "birthday": None, "score": 1.5},
]


def reopen(storage):
    storage.close()
    return FileStorage(storage.base_dir)


def test_storage_initialization(base, tmp_path, monkeypatch):
    s = FileStorage(base)
    assert s.base_dir == base and isinstance(s.base_dir, Path)
    assert s.backup_dir == base / "backups"
    assert base.is_dir() and (base / "journal").is_dir()
    s.close()
    with FileStorage(str(base)) as again:  # str as well as Path
        assert again.base_dir == base
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with FileStorage() as default:
        assert default.base_dir == tmp_path / "home" / ".personal_assistant"
        assert default.base_dir.is_dir()


def test_save_and_load_data(storage):
    assert storage.load("contacts.json") == []
    assert storage.save("contacts.json", CONTACTS) is True
    assert storage.load("contacts.json") == CONTACTS
    reordered = [CONTACTS[1], CONTACTS[0], {"name": "no id"}]
    assert storage.save("contacts.json", reordered)
    assert storage.load("contacts.json") == reordered
    assert storage.save("notes.json", [{"text": "x"}, "plain", 3, [1, 2]])
    storage = reopen(storage)
    assert storage.load("contacts.json") == reordered
    assert storage.load("notes.json") == [{"text": "x"}, "plain", 3, [1, 2]]
    assert storage.save("contacts.json", [])
    assert storage.load("contacts.json") == []
    storage.close()


# The child saves whole lists whose every item carries the list's version, as
# fast as it can; a kill must leave exactly one of those lists.
CHILD = r"""
import sys
import pa_journal
s = pa_journal.FileStorage(sys.argv[1])
print("ready", flush=True)
v = 0
while True:
    v += 1
    s.save("contacts.json", [{"id": str(i), "v": v, "pad": "x" * 200} for i in range(2000)])
"""


def test_atomic_write(base):
    with FileStorage(base) as s:
        s.save("contacts.json", [{"id": str(i), "v": 0, "pad": ""} for i in range(2000)])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    versions = set()
    for delay in (0.05, 0.3, 0.8):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(base)],
                                 stdout=subprocess.PIPE, env=env)
        assert child.stdout.readline() == b"ready\n"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL
        with FileStorage(base) as s:
            data = s.load("contacts.json")
            assert len(data) == 2000
            assert len({item["v"] for item in data}) == 1, "a save was torn"
            assert [item["id"] for item in data] == [str(i) for i in range(2000)]
            versions.add(data[0]["v"])
    assert max(versions) > 0, "the child never saved: no save was killed"


def test_create_backup(storage):
    assert storage.create_backup("contacts.json") is False  # nothing to back up
    assert storage.last_error()
    storage.save("contacts.json", CONTACTS)
    assert storage.create_backup("contacts.json") is True
    assert storage.backup_dir.is_dir()
    backups = storage.list_backups("contacts.json")
    assert len(backups) == 1
    b = backups[0]
    assert b["filename"].startswith("contacts_") and b["filename"].endswith(".json")
    assert isinstance(b["timestamp"], datetime) and b["timestamp"].tzinfo is None
    assert abs((datetime.now() - b["timestamp"]).total_seconds()) < 60  # local time
    assert b["size"] > 0
    assert storage.list_backups("notes.json") == []


def test_restore_from_backup(storage):
    v1, v2, v3 = CONTACTS[:1], CONTACTS, CONTACTS[1:]
    storage.save("contacts.json", v1)
    storage.create_backup("contacts.json")
    storage.save("contacts.json", v2)
    storage.create_backup("contacts.json")
    storage.save("contacts.json", v3)
    assert storage.restore_from_backup("contacts.json") is True  # the newest
    assert storage.load("contacts.json") == v2
    newest, older = storage.list_backups("contacts.json")
    assert newest["timestamp"] >= older["timestamp"]
    assert storage.restore_from_backup("contacts.json", older["timestamp"])
    assert storage.load("contacts.json") == v1
    # An aware datetime names the same instant.
    aware = newest["timestamp"].astimezone(timezone.utc)
    assert storage.restore_from_backup("contacts.json", aware)
    assert storage.load("contacts.json") == v2
    seq = storage.last_seq()
    with pytest.raises(BackupNotFoundError):
        storage.restore_from_backup("contacts.json", datetime(2001, 1, 1))
    with pytest.raises(BackupNotFoundError):
        storage.restore_from_backup("notes.json")
    assert storage.last_seq() == seq


def test_delete_old_backups(storage):
    for v in range(4):
        storage.save("contacts.json", [{"id": "a", "v": v}])
        assert storage.create_backup("contacts.json")
    backups = storage.list_backups("contacts.json")
    assert len(backups) == 4
    storage.delete_old_backups("contacts.json", keep_count=2)
    kept = storage.list_backups("contacts.json")
    assert kept == backups[:2]
    assert storage.restore_from_backup("contacts.json", kept[1]["timestamp"])
    assert storage.load("contacts.json") == [{"id": "a", "v": 2}]
    storage.delete_old_backups("contacts.json", keep_count=0)  # the newest stays
    assert len(storage.list_backups("contacts.json")) == 1


def test_corrupted_file_recovery(base):
    s = FileStorage(base)
    s.save("contacts.json", CONTACTS)
    s.create_backup("contacts.json")
    s.save("contacts.json", [])  # lost data
    assert recover_from_corruption(s, "contacts.json") == CONTACTS
    assert s.load("contacts.json") == CONTACTS  # and put back in the store
    s.save("contacts.json", CONTACTS[:1])
    s.close()
    # Every journal byte after the backup overwritten: the store opens in
    # salvage mode and the backup's list survives.
    for segment in (base / "journal").iterdir():
        if segment.is_file() and segment.stat().st_size > 0:
            segment.write_bytes(b"\xa5" * segment.stat().st_size)
    with FileStorage(base) as s:
        try:
            data = s.load("contacts.json")
        except CorruptedDataError:
            data = recover_from_corruption(s, "contacts.json")
        assert data == CONTACTS
        assert recover_from_corruption(s, "contacts.json") == CONTACTS
        assert recover_from_corruption(s, "notes.json") == []


def test_export_import_data(base, tmp_path):
    with FileStorage(base) as s:
        s.save("contacts.json", CONTACTS)
        s.save("notes.json", [{"id": "n1", "text": "hello"}])
        out = tmp_path / "export"
        assert s.export_data(out) is True
        # The export's own format (docs/): each document under its key.
        assert (out / "contacts.json").is_file() and (out / "notes.json").is_file()
        assert s.export_data(out) is False  # not empty: refused
        assert s.last_error()
        s.save("contacts.json", [])
        assert s.import_data(out) is True
        assert s.load("contacts.json") == CONTACTS
    with FileStorage(tmp_path / "other") as other:
        assert other.import_data(str(out))
        assert other.load("contacts.json") == CONTACTS
        assert other.load("notes.json") == [{"id": "n1", "text": "hello"}]
        assert other.import_data(tmp_path / "missing") is False


def test_config_management(base):
    seed_defaults = {"backup_enabled": True, "backup_count": 10, "auto_save": True,
                     "auto_save_interval": 60, "data_format": "json",
                     "date_format": "%Y-%m-%d", "time_format": "%H:%M:%S"}
    assert ConfigManager.DEFAULT_CONFIG == seed_defaults
    with FileStorage(base) as s:
        cm = ConfigManager(s)
        assert cm.config == seed_defaults
        assert cm.get("backup_count") == 10 and cm.get("nope", 7) == 7
        cm.set("theme", "dark")
        cm.config["backup_count"] = 5
        cm.save_config()
    with FileStorage(base) as s:
        cm = ConfigManager(s)
        assert cm.get("theme") == "dark" and cm.get("backup_count") == 5
        assert cm.load_config() == {**seed_defaults, "theme": "dark", "backup_count": 5}
        assert s.load("config.json")[0]["theme"] == "dark"
        with pytest.raises(ValueError):
            cm.set("bad", float("nan"))
        with pytest.raises(InvalidInputError):
            cm.set("a/b", 1)
        assert "bad" not in cm.config and "a/b" not in cm.config
    assert ConfigManager.DEFAULT_CONFIG == seed_defaults  # not mutated


def test_adopts_seed_directory(base):
    base.mkdir()
    (base / "backups").mkdir()
    (base / "contacts.json").write_text(json.dumps(CONTACTS))
    (base / "notes.json").write_text(json.dumps([{"id": "n1", "text": "t"}]))
    (base / "backups" / "contacts_20240115_120000.json").write_text(
        json.dumps(CONTACTS[:1]))
    with FileStorage(base) as s:
        assert s.load("contacts.json") == CONTACTS
        assert s.load("notes.json") == [{"id": "n1", "text": "t"}]
        assert (base / "backups" / "adopted" / "contacts.json").is_file()
        assert s.save("contacts.json", CONTACTS[1:])
    with FileStorage(base) as s:  # adopted once, not again
        assert s.load("contacts.json") == CONTACTS[1:]


def cyclic():
    item = {"id": "x"}
    item["self"] = item
    return [item]


@pytest.mark.parametrize("data, error", [
    ([{"id": "a", "v": float("nan")}], ValueError),
    ([{"id": "a", "v": math.inf}], ValueError),
    ([{"id": "a", "tags": {"a", "b"}}], TypeError),
    ([{1: "int key"}], TypeError),
    ([b"bytes"], TypeError),
    ([datetime(2024, 1, 1)], TypeError),
    (cyclic(), ValueError),
])
def test_unstorable_value_raises_and_saves_nothing(storage, data, error):
    storage.save("contacts.json", CONTACTS)
    seq = storage.last_seq()
    with pytest.raises(error):
        storage.save("contacts.json", data)
    assert storage.last_seq() == seq
    assert storage.load("contacts.json") == CONTACTS


def test_dict_instead_of_list_returns_false_and_saves_nothing(storage):
    storage.save("contacts.json", CONTACTS)
    seq = storage.last_seq()
    assert storage.save("contacts.json", {"id": "a"}) is False
    assert "list" in storage.last_error()
    assert storage.last_seq() == seq
    assert storage.load("contacts.json") == CONTACTS


def test_file_name_that_is_not_a_collection(storage, base):
    seq = storage.last_seq()
    for name in ("../x.json", "x.txt", "a/b.json", ".json", "facade-order.json"):
        assert storage.save(name, [{"id": "a"}]) is False, name
        assert storage.last_error()
        with pytest.raises(InvalidInputError):
            storage.load(name)
    assert storage.last_seq() == seq
    assert not (base.parent / "x.json").exists()


def test_exception_classes():
    assert issubclass(pa_journal.CorruptedDataError, StorageError)
    assert issubclass(pa_journal.BackupNotFoundError, StorageError)
    assert issubclass(InvalidInputError, StorageError)
    assert issubclass(InvalidInputError, ValueError)
    assert issubclass(pa_journal.IoError, OSError)
    assert issubclass(StorageError, Exception) and not issubclass(StorageError, ValueError)
    assert StorageError.__module__ == "pa_journal"


def test_store_locked_by_another_open(storage):
    with pytest.raises(StorageError) as raised:
        FileStorage(storage.base_dir)
    # Names the holder, and no option of the command-line tool.
    assert "is locked by pid" in str(raised.value)
    assert "--wait" not in str(raised.value)


def test_closed_storage_raises(base):
    s = FileStorage(base)
    s.close()
    with pytest.raises(StorageError):
        s.load("contacts.json")


def test_gil_is_released_during_a_save(storage):
    # Another Python thread runs while the store works. With the GIL held it
    # could run only in a switch interval (set to 0.5 ms) at either end of a
    # call, never in the middle half of a call of 10 ms or more.
    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(time.monotonic())

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        calls = []
        for i in range(6):
            text = json.dumps([{"id": str(k), f"p{i}": "y" * 100} for k in range(20000)])
            t0 = time.monotonic()
            storage._storage.save("contacts.json", text)
            calls.append((t0, time.monotonic()))
    finally:
        stop.set()
        spinner.join()
        sys.setswitchinterval(old_interval)
    long_calls = [(t0, t1) for t0, t1 in calls if t1 - t0 >= 0.01]
    assert long_calls, "no save lasted 10 ms: the test cannot tell"
    # One call seen is enough (a loaded machine may not schedule the thread in
    # every call); with the GIL held no call would show one.
    def seen_in_middle(t0, t1):
        quarter = (t1 - t0) / 4
        return any(t0 + quarter < t < t1 - quarter for t in ticks)

    assert any(seen_in_middle(t0, t1) for t0, t1 in long_calls)


def test_serialize_helpers():
    class Item:
        def __init__(self, name, when):
            self.name, self.when = name, when

        def to_dict(self):
            return {"name": self.name, "when": self.when}

        @classmethod
        def from_dict(cls, d):
            return cls(d["name"], d["when"])

    text = pa_journal.serialize_for_storage([Item("a", datetime(2024, 1, 15, 12, 0)), {"b": 1}])
    assert json.loads(text) == [{"name": "a", "when": "2024-01-15T12:00:00"}, {"b": 1}]
    assert text.startswith("[\n  {")
    items = pa_journal.deserialize_from_storage(
        pa_journal.serialize_for_storage([Item("a", "2024-01-15"), Item("b", None)]), Item)
    assert [(i.name, i.when) for i in items] == [("a", "2024-01-15"), ("b", None)]
    assert pa_journal.deserialize_from_storage("[1, 2]", object) == [1, 2]
    with pytest.raises(CorruptedDataError):
        pa_journal.deserialize_from_storage("[1, ", Item)
    with pytest.raises(ValueError):
        pa_journal.serialize_for_storage([float("nan")])


def test_threads_share_one_storage(storage):
    # Saves from several threads run at once (the GIL is released); each
    # file ends as its thread's last list, and two threads saving one file
    # leave one of their lists whole.
    errors = []

    def work(n):
        try:
            for v in range(15):
                assert storage.save(f"t{n}.json", [{"id": str(i), "v": v} for i in range(50)])
                assert storage.save("shared.json", [{"id": str(i), "by": n} for i in range(50)])
        except Exception as e:  # reported below: an assert in a thread is lost
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for n in range(4):
        assert storage.load(f"t{n}.json") == [{"id": str(i), "v": 14} for i in range(50)]
    shared = storage.load("shared.json")
    assert len(shared) == 50 and len({item["by"] for item in shared}) == 1


def test_close_beside_a_save_in_another_thread(base):
    # close() while another thread saves: that save finishes or raises
    # StorageError, never touches a freed store; the LOCK is released after.
    s = FileStorage(base)
    started = threading.Event()
    outcome = []

    def saver():
        try:
            for v in range(10**6):
                s.save("contacts.json", [{"id": str(i), "v": v} for i in range(500)])
                started.set()
        except StorageError as e:
            outcome.append(str(e))

    t = threading.Thread(target=saver)
    t.start()
    assert started.wait(30)
    s.close()
    t.join(30)
    assert not t.is_alive() and outcome and "closed" in outcome[0]
    with FileStorage(base) as again:
        data = again.load("contacts.json")
        assert len(data) == 500 and len({item["v"] for item in data}) == 1
