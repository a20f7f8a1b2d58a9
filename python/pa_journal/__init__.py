"""pa-journal's Python API: the seed's storage module (FileStorage, ConfigManager,
recover_from_corruption, the serialisation helpers and the exceptions) on the
journal store, and beside it the journal API (Store, Transaction). See
include/pa_journal/file_storage.h for how each call maps onto the store.

Contracts of this layer (the compiled _pa_journal does the store's work):
- Documents are JSON values: dict (str keys), list, tuple, str, int, float,
  bool, None. Anything else (NaN or an infinity, a set, bytes, an object, a
  non-str dict key, a cycle) raises TypeError or ValueError before anything
  is sent to the store, so nothing is saved.
- save, create_backup, restore_from_backup, export_data and import_data
  return False on a store error (as the seed); last_error() says why. A name
  that is not NAME.json (e.g. '../x.json') makes save return False and load,
  list_backups and delete_old_backups raise InvalidInputError.
- InvalidInputError is a StorageError and a ValueError; NotFoundError a
  StorageError and a KeyError; IoError a StorageError and an OSError;
  ConflictError (a compare-and-set refused) a StorageError with collection,
  key and seq (when the store last knew the document to change).
- Naive datetimes mean local time (as in the seed); aware ones are converted.
- The GIL is released while the store works.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _pa_journal
from ._pa_journal import (
    BackupNotFoundError,
    ConflictError,
    CorruptedDataError,
    InvalidInputError,
    IoError,
    JournalFailedError,
    NotFoundError,
    StorageError,
    StoreLockedError,
)

__all__ = [
    "Store",
    "Transaction",
    "FileStorage",
    "ConfigManager",
    "recover_from_corruption",
    "serialize_for_storage",
    "deserialize_from_storage",
    "DateTimeEncoder",
    "StorageError",
    "CorruptedDataError",
    "BackupNotFoundError",
    "InvalidInputError",
    "NotFoundError",
    "StoreLockedError",
    "IoError",
    "JournalFailedError",
    "ConflictError",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _check_json(value: Any, where: str = "data") -> None:
    """Raises TypeError or ValueError if value is not a JSON value."""
    active: set = set()  # ids of the containers being walked: a cycle repeats one

    def walk(v: Any, path: str) -> None:
        if v is None or isinstance(v, (str, bool, int)):
            return
        if isinstance(v, float):
            if not math.isfinite(v):
                raise ValueError(f"{path} is {v!r}: JSON cannot hold NaN or an infinity")
            return
        if isinstance(v, (dict, list, tuple)):
            if id(v) in active:
                raise ValueError(f"{path} contains itself: JSON cannot hold a cycle")
            active.add(id(v))
            if isinstance(v, dict):
                for k, item in v.items():
                    if not isinstance(k, str):
                        raise TypeError(
                            f"{path} has the key {k!r} ({type(k).__name__}): "
                            "JSON object keys are str")
                    walk(item, f"{path}[{k!r}]")
            else:
                for i, item in enumerate(v):
                    walk(item, f"{path}[{i}]")
            active.discard(id(v))
            return
        raise TypeError(f"{path} is a {type(v).__name__}: not a JSON value "
                        "(dict, list, str, int, float, bool or None)")

    walk(value, where)


def _dumps(value: Any, where: str = "data") -> str:
    _check_json(value, where)
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def _to_ns(t: datetime) -> int:
    """UTC nanoseconds of t; a naive t is local time."""
    if not isinstance(t, datetime):
        raise TypeError(f"backup_time is a {type(t).__name__}, not a datetime")
    if t.tzinfo is None or t.tzinfo.utcoffset(t) is None:
        t = t.astimezone()  # a naive datetime is local time
    d = t - _EPOCH
    return (d.days * 86400 + d.seconds) * 10**9 + d.microseconds * 1000


def _local_naive(ns: int) -> datetime:
    """A naive local datetime of UTC nanoseconds (microseconds kept)."""
    utc = _EPOCH + timedelta(microseconds=ns // 1000)
    return utc.astimezone().replace(tzinfo=None)


class FileStorage:
    """The seed's file-based storage, kept in a pa-journal store at base_dir.

    Every save is one atomic, durable journaled commit of what changed; backups
    are the store's snapshots (one backup holds every file). A directory the
    seed wrote (its *.json lists and backups/) is adopted on first open.
    Use close() (or a with block) to release the store's lock. A FileStorage
    may be shared by threads; a close() beside a call takes effect when that
    call returns, and later calls raise StorageError.
    """

    def __init__(self, base_dir: Optional[Union[str, Path]] = None):
        if base_dir is None:
            base_dir = Path.home() / ".personal_assistant"
        self.base_dir = Path(base_dir)
        self.backup_dir = self.base_dir / "backups"
        self._storage = _pa_journal.FileStorage(str(self.base_dir))

    def close(self) -> None:
        """Syncs the journal and releases the store; later calls raise StorageError."""
        self._storage.close()

    def __enter__(self) -> "FileStorage":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def save(self, filename: str, data: List[Dict]) -> bool:
        """Saves data (a list) as filename, as one atomic durable commit.

        Returns True if saved, False otherwise (last_error() says why: a
        name that is not NAME.json, data that is not a list, a store error).
        Raises TypeError/ValueError, saving nothing, if data is not JSON.
        """
        return self._storage.save(filename, _dumps(data))

    def load(self, filename: str) -> List[Dict]:
        """The list saved as filename, or [] if there is none."""
        return json.loads(self._storage.load(filename))

    def create_backup(self, filename: str) -> bool:
        """Snapshots the store (a backup of every file, filename among them).

        False if nothing is saved as filename.
        """
        return self._storage.create_backup(filename)

    def restore_from_backup(self, filename: str,
                            backup_time: Optional[datetime] = None) -> bool:
        """Puts filename back to its content in a backup, as one new commit.

        backup_time: the 'timestamp' of an entry of list_backups(), or any
        time within the second a backup was made (naive: local time); by
        default the newest backup. Raises BackupNotFoundError if there is no
        such backup; False if the backup is damaged (nothing is changed).
        """
        ns = None
        if backup_time is not None:
            ns = _to_ns(backup_time)
            # A datetime holds microseconds, a backup's time nanoseconds.
            for _, t_ns, _, _ in self._storage.list_backups(filename):
                if t_ns // 1000 == ns // 1000:
                    ns = t_ns
                    break
        return self._storage.restore_from_backup(filename, ns)

    def list_backups(self, filename: str) -> List[Dict]:
        """Backups holding filename, newest first: dicts with 'filename' (in
        backup_dir), 'timestamp' (a naive local datetime), 'size' (bytes) and
        'seq' (the last commit the backup includes)."""
        return [{"filename": name, "timestamp": _local_naive(t_ns), "size": size,
                 "seq": seq}
                for name, t_ns, size, seq in self._storage.list_backups(filename)]

    def delete_old_backups(self, filename: str, keep_count: int = 10) -> None:
        """Deletes all but the newest keep_count backups (at least one is kept:
        the journal is replayed from the newest). Backups hold every file."""
        if keep_count < 0:
            raise ValueError("keep_count is negative")
        self._storage.delete_old_backups(filename, keep_count)

    def export_data(self, export_path: Union[str, Path]) -> bool:
        """Writes every file as NAME.json and a manifest into export_path
        (created; it must be empty or absent)."""
        return self._storage.export_data(str(export_path))

    def import_data(self, import_path: Union[str, Path]) -> bool:
        """Replaces each file found in import_path (an export or a seed
        directory) as one commit, after a backup that undoes it."""
        return self._storage.import_data(str(import_path))

    def last_error(self) -> str:
        """Why the latest call returning a success flag returned False ('' if it
        returned True)."""
        return self._storage.last_error()

    def last_seq(self) -> int:
        """The sequence number of the newest commit (0 if none)."""
        return self._storage.last_seq()


def recover_from_corruption(storage: FileStorage, filename: str) -> List[Dict]:
    """The seed's recovery: the list as the store reads it (a damaged journal
    is opened in salvage mode); if that is empty, the newest readable backup
    is restored (one commit) and its list returned; [] if nothing can be read."""
    return json.loads(storage._storage.recover_from_corruption(filename))


class ConfigManager:
    """The seed's configuration manager. Each setting is a document of the
    store's collection 'config', which the store itself honours
    (backup_enabled, backup_count, auto_save, auto_save_interval)."""

    DEFAULT_CONFIG: Dict[str, Any] = json.loads(_pa_journal.default_config())

    def __init__(self, storage: FileStorage):
        self.storage = storage
        self.config = self.load_config()

    def load_config(self) -> Dict[str, Any]:
        """DEFAULT_CONFIG overlaid with every stored setting."""
        return {**self.DEFAULT_CONFIG,
                **json.loads(self.storage._storage.load_config())}

    def save_config(self) -> None:
        """Stores every setting of config that differs from the store, as one commit."""
        self.storage._storage.save_config(_dumps(self.config, "config"))

    def get(self, key: str, default: Any = None) -> Any:
        """The setting key, or default."""
        return self.config.get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Sets and stores one setting (one commit)."""
        self.storage._storage.set_config(key, _dumps(value, key))
        self.config[key] = value


def _compact(value: Any, where: str) -> str:
    _check_json(value, where)
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


class Transaction:
    """Operations gathered in a `with store.transaction() as tx:` block and
    committed as one atomic commit when the block ends without an exception
    (nothing is committed if it raises). seq and time are set by the commit
    (seq 0 if the block gathered nothing)."""

    def __init__(self, store: "Store", origin: str = ""):
        self._store = store
        self._origin = origin
        self._ops: List[tuple] = []
        self.seq = 0
        self.time: Optional[datetime] = None

    # if_seq (every operation): a compare-and-set. The whole commit raises
    # ConflictError, committing nothing, if the document changed after seq
    # if_seq (0: if it exists); Store.get_versioned gives the seq to pass.

    def put(self, collection: str, key: str, document: Any, *,
            if_seq: Optional[int] = None) -> None:
        """Gathers: document (a JSON value) becomes collection/key."""
        self._ops.append(("put", collection, key, _compact(document, "document"), if_seq))

    def patch(self, collection: str, key: str, merge_patch: Any, *,
              if_seq: Optional[int] = None) -> None:
        """Gathers an RFC 7396 merge patch of an existing document."""
        self._ops.append(("patch", collection, key, _compact(merge_patch, "merge_patch"),
                          if_seq))

    def delete(self, collection: str, key: str, *, if_seq: Optional[int] = None) -> None:
        """Gathers the deletion of an existing document."""
        self._ops.append(("delete", collection, key, "", if_seq))

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        ops, self._ops = self._ops, []
        if exc_type is None and ops:
            self.seq, t_ns = self._store._store.commit(ops, self._origin)
            self.time = _local_naive(t_ns)


class Store:
    """The journal API: a pa-journal store at dir, opened (created if needed)
    and closed by close() or a with block. Each put, patch and delete is one
    atomic durable commit and returns its sequence number; transaction()
    commits several as one. Documents are JSON values (as FileStorage's).
    Refused input raises InvalidInputError (a ValueError), a patch or delete
    of a missing document NotFoundError (a KeyError); nothing is appended."""

    def __init__(self, dir: Union[str, Path], *, create_if_missing: bool = True,
                 lock_wait: float = 0.0, compact_after_percent: Optional[int] = None):
        """create_if_missing=False raises NotFoundError where dir holds no
        store (creating nothing); lock_wait is how many seconds to wait for
        another writer's LOCK before StoreLockedError (which names the
        holder's pid and command line). compact_after_percent: compact in
        the background once the journal since the last snapshot has grown by
        that percent of the snapshot, and by at least the store's floors
        (8 MiB or 100,000 records); None keeps the default, 10. A value
        outside 0..1000000 raises InvalidInputError."""
        self.dir = Path(dir)
        self._store = _pa_journal.Store(str(self.dir), create_if_missing, lock_wait,
                                        compact_after_percent)

    @property
    def created(self) -> bool:
        """True if opening made a new store at dir."""
        return self._store.created

    def close(self) -> None:
        """Syncs the journal and releases LOCK; later calls raise StorageError."""
        self._store.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def get(self, collection: str, key: str) -> Any:
        """The document, or None if there is none."""
        text = self._store.get(collection, key)
        return None if text is None else json.loads(text)

    def get_versioned(self, collection: str, key: str) -> Optional[Tuple[Any, int]]:
        """(document, seq of its last change), or None if there is none: the
        seq to pass as if_seq to put, patch or delete (a compare-and-set)."""
        found = self._store.get_versioned(collection, key)
        return None if found is None else (json.loads(found[0]), found[1])

    def list(self, collection: str) -> Dict[str, Any]:
        """Every document of collection by key, in key order."""
        return {key: json.loads(doc) for key, doc in self._store.list(collection)}

    def collections(self) -> List[str]:
        """The names of the collections holding documents."""
        return self._store.collections()

    def put(self, collection: str, key: str, document: Any, *,
            if_seq: Optional[int] = None) -> int:
        """Stores document (a JSON value) as collection/key; one commit, its
        seq. if_seq: ConflictError, nothing committed, if the document changed
        after that seq (0: if it exists)."""
        with self.transaction() as tx:
            tx.put(collection, key, document, if_seq=if_seq)
        return tx.seq

    def patch(self, collection: str, key: str, merge_patch: Any, *,
              if_seq: Optional[int] = None) -> int:
        """Applies an RFC 7396 merge patch to an existing document; one
        commit. if_seq: as for put."""
        with self.transaction() as tx:
            tx.patch(collection, key, merge_patch, if_seq=if_seq)
        return tx.seq

    def delete(self, collection: str, key: str, *, if_seq: Optional[int] = None) -> int:
        """Deletes an existing document (NotFoundError if none); one commit.
        if_seq: as for put."""
        with self.transaction() as tx:
            tx.delete(collection, key, if_seq=if_seq)
        return tx.seq

    def transaction(self, origin: str = "") -> Transaction:
        """A Transaction committing its operations as one commit (origin: a note)."""
        return Transaction(self, origin)

    def last_seq(self) -> int:
        """The sequence number of the newest commit (0 if none)."""
        return self._store.last_seq()

    def state_at(self, t: datetime) -> Dict[str, Dict[str, Any]]:
        """Every collection as it was at t (naive: local time): the records
        committed at or before t. InvalidInputError outside the restorable window."""
        return {name: {key: json.loads(doc) for key, doc in docs.items()}
                for name, docs in self._store.state_at(_to_ns(t)).items()}

    def history(self, collection: str, key: str) -> List[Dict[str, Any]]:
        """Every version of one document over the retained journal, oldest
        first: dicts with seq, time (naive local datetime), op ('put',
        'patch', 'delete'), document (None once deleted) and from_snapshot."""
        return [{"seq": seq, "time": _local_naive(t_ns), "op": op,
                 "document": None if doc is None else json.loads(doc),
                 "from_snapshot": from_snapshot}
                for seq, t_ns, op, doc, from_snapshot in self._store.history(collection, key)]

    def diff(self, since: datetime, until: Optional[datetime] = None) -> List[Dict[str, Any]]:
        """Documents added, changed and deleted from the state at since to the
        state at until (now by default), in collection and key order: dicts
        with collection, key, before and after (None where absent)."""
        rows = self._store.diff(_to_ns(since), None if until is None else _to_ns(until))
        return [{"collection": c, "key": k,
                 "before": None if b is None else json.loads(b),
                 "after": None if a is None else json.loads(a)}
                for c, k, b, a in rows]

    def restore_to(self, t: datetime) -> int:
        """Appends one commit putting the store back to its state at t; its seq
        (0 if nothing differs). History is kept: a restore can be undone."""
        seq, _ = self._store.restore_to(_to_ns(t))
        return seq


class DateTimeEncoder(json.JSONEncoder):
    """The seed's JSON encoder: dates and datetimes as ISO 8601 text."""

    def default(self, obj: Any) -> Any:
        if isinstance(obj, (date, datetime)):
            return obj.isoformat()
        return super().default(obj)


def serialize_for_storage(data: List[Any]) -> str:
    """JSON text of data (a list; items with to_dict() are converted by it),
    pretty-printed, keys sorted, non-ASCII kept. Dates become ISO text.
    Raises TypeError/ValueError for what JSON cannot hold."""
    items = [item.to_dict() if hasattr(item, "to_dict") else item for item in data]
    return json.dumps(items, cls=DateTimeEncoder, indent=2, ensure_ascii=False,
                      sort_keys=True, allow_nan=False)


def deserialize_from_storage(json_str: str, model_class: Any) -> List[Any]:
    """The list in json_str, each item passed through model_class.from_dict if
    it has one. Raises CorruptedDataError if json_str is not a JSON list."""
    try:
        data = json.loads(json_str)
    except ValueError as e:
        raise CorruptedDataError(f"stored data is not JSON: {e}") from None
    if not isinstance(data, list):
        raise CorruptedDataError("stored data is not a JSON list")
    if hasattr(model_class, "from_dict"):
        return [model_class.from_dict(item) for item in data]
    return data
