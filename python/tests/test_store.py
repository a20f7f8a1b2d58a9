"""The journal API beside the seed's: Store, transactions, time travel."""

import time
from datetime import datetime, timedelta, timezone

import pytest

from pa_journal import (ConflictError, CorruptedDataError, InvalidInputError, NotFoundError,
                        StorageError, Store)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store") as s:
        yield s


def test_put_get_list_patch_delete(store):
    assert store.get("contacts", "alice") is None
    seq = store.put("contacts", "alice", {"name": "Alice"})
    assert seq == store.last_seq() and seq > 0
    assert store.patch("contacts", "alice", {"phone": "555-0100"}) == seq + 1
    assert store.get("contacts", "alice") == {"name": "Alice", "phone": "555-0100"}
    store.put("contacts", "bob", ["any", "json", 1.5, None])
    assert store.list("contacts") == {"alice": {"name": "Alice", "phone": "555-0100"},
                                      "bob": ["any", "json", 1.5, None]}
    assert store.collections() == ["contacts"]
    store.delete("contacts", "bob")
    assert list(store.list("contacts")) == ["alice"]


def test_reopen_keeps_commits(tmp_path):
    with Store(str(tmp_path / "s")) as s:
        s.put("notes", "n1", {"text": "kept"})
    with Store(tmp_path / "s") as s:
        assert s.get("notes", "n1") == {"text": "kept"}
        with pytest.raises(StorageError):  # LOCK is held by s
            Store(tmp_path / "s")


def test_transaction_commits_all_as_one(store):
    store.put("contacts", "old", {"v": 0})
    before = store.last_seq()
    with store.transaction("move") as tx:
        tx.put("contacts", "new", {"v": 1})
        tx.patch("contacts", "new", {"w": 2})
        tx.delete("contacts", "old")
        assert store.last_seq() == before  # nothing committed inside the block
    assert tx.seq == before + 1 == store.last_seq()
    assert isinstance(tx.time, datetime)
    assert store.list("contacts") == {"new": {"v": 1, "w": 2}}


def test_transaction_that_raises_commits_nothing(store):
    store.put("contacts", "a", {"v": 0})
    seq = store.last_seq()
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.put("contacts", "a", {"v": 1})
            raise RuntimeError("abandon")
    assert store.last_seq() == seq and store.get("contacts", "a") == {"v": 0}


def test_refused_operation_fails_the_whole_transaction(store):
    store.put("contacts", "a", {"v": 0})
    seq = store.last_seq()
    with pytest.raises(NotFoundError):
        with store.transaction() as tx:
            tx.put("contacts", "a", {"v": 1})
            tx.delete("contacts", "missing")
    with pytest.raises(InvalidInputError):
        store.put("Bad Name", "k", {})
    with pytest.raises(ValueError):
        store.put("contacts", "k", float("nan"))
    with pytest.raises(TypeError):
        with store.transaction() as tx:
            tx.put("contacts", "k", {"s": {1, 2}})
    assert store.last_seq() == seq and store.get("contacts", "a") == {"v": 0}


def test_state_at_history_and_restore(store):
    store.put("notes", "n", {"v": 1})
    time.sleep(0.01)
    t1 = datetime.now()  # naive: local time
    time.sleep(0.01)
    store.put("notes", "n", {"v": 2})
    store.put("notes", "m", {"v": 3})
    assert store.state_at(t1) == {"notes": {"n": {"v": 1}}}
    aware = t1.astimezone(timezone.utc)
    assert store.state_at(aware) == {"notes": {"n": {"v": 1}}}
    with pytest.raises(InvalidInputError):
        store.state_at(datetime.now() + timedelta(days=1))  # in the future
    history = store.history("notes", "n")
    assert [(h["op"], h["document"]) for h in history] == [("put", {"v": 1}),
                                                            ("put", {"v": 2})]
    assert history[0]["time"] <= t1 <= history[1]["time"]
    assert store.diff(t1) == [
        {"collection": "notes", "key": "m", "before": None, "after": {"v": 3}},
        {"collection": "notes", "key": "n", "before": {"v": 1}, "after": {"v": 2}}]
    assert store.diff(t1, t1) == []
    seq = store.restore_to(t1)
    assert seq == store.last_seq()
    assert store.list("notes") == {"n": {"v": 1}}
    assert store.history("notes", "m")[-1]["document"] is None


def test_damage_in_the_middle_of_the_journal_raises_corrupted_data_error(tmp_path):
    with Store(tmp_path / "s") as s:
        for i in range(20):
            s.put("notes", f"n{i}", {"text": "x" * 100})
    segments = [p for p in (tmp_path / "s" / "journal").iterdir()
                if p.suffix == ".log" and p.stat().st_size > 0]
    assert len(segments) == 1
    data = bytearray(segments[0].read_bytes())
    middle = len(data) // 3
    data[middle] ^= 0xFF
    segments[0].write_bytes(bytes(data))
    with pytest.raises(CorruptedDataError) as caught:
        Store(tmp_path / "s")
    assert caught.value.file.endswith(segments[0].name)
    assert 0 < caught.value.offset <= middle
    assert 0 < caught.value.seq < 20


def test_a_bad_config_value_is_refused_and_nothing_appended(store):
    before = store.last_seq()
    for bad in ("ten", -3, 0.5, 0):
        with pytest.raises(InvalidInputError, match="config backup_count must be"):
            store.put("config", "backup_count", bad)
    assert store.last_seq() == before
    store.put("config", "theme", "dark")  # the application's own key: kept
    assert store.get("config", "theme") == "dark"


def test_without_create_if_missing_a_missing_store_is_refused_and_not_created(tmp_path):
    with pytest.raises(NotFoundError):
        Store(tmp_path / "nowhere", create_if_missing=False)
    assert not (tmp_path / "nowhere").exists()
    with Store(tmp_path / "s") as first:
        assert first.created
        first.put("notes", "n1", "x")
    with Store(tmp_path / "s", create_if_missing=False) as again:
        assert not again.created
        assert again.get("notes", "n1") == "x"


def test_a_second_writer_names_the_holder_or_waits_for_the_lock(tmp_path):
    import os
    import threading
    from pa_journal import StoreLockedError
    holder = Store(tmp_path / "s")
    with pytest.raises(StoreLockedError, match="pid %d" % os.getpid()):
        Store(tmp_path / "s")
    threading.Timer(0.3, holder.close).start()
    with Store(tmp_path / "s", lock_wait=30) as waiter:
        assert waiter.put("notes", "n1", "after the wait") >= 1
    with pytest.raises(InvalidInputError):
        Store(tmp_path / "s", lock_wait=-1)


def test_compare_and_set_commits_only_over_the_seq_it_read(store):
    seq = store.put("c", "counter", 0, if_seq=0)
    with pytest.raises(ConflictError) as refused:
        store.put("c", "counter", 5, if_seq=0)  # exists: created only once
    assert (refused.value.collection, refused.value.key, refused.value.seq) == (
        "c", "counter", seq)
    document, seen = store.get_versioned("c", "counter")
    assert (document, seen) == (0, seq)
    changed = store.patch("c", "counter", 1, if_seq=seen)
    with pytest.raises(ConflictError):
        store.delete("c", "counter", if_seq=seen)
    last = store.last_seq()
    with pytest.raises(ConflictError):
        with store.transaction() as tx:  # one stale operation refuses the commit
            tx.put("c", "other", 1)
            tx.put("c", "counter", 2, if_seq=seen)
    assert store.last_seq() == last and store.get("c", "other") is None
    store.delete("c", "counter", if_seq=changed)
    assert store.get_versioned("c", "counter") is None


def test_compact_after_percent_is_an_option_of_opening_and_is_checked(tmp_path):
    with Store(tmp_path / "s", compact_after_percent=50) as store:
        seq = store.put("notes", "n1", "kept")
    with Store(tmp_path / "s", compact_after_percent=0) as store:
        assert store.get("notes", "n1") == "kept"
        assert store.put("notes", "n2", "next") == seq + 1
    for bad in (-1, 1000001):
        with pytest.raises(InvalidInputError, match="compact_after_percent"):
            Store(tmp_path / "s", compact_after_percent=bad)
    with pytest.raises(TypeError):
        Store(tmp_path / "s", compact_after_percent="ten")
