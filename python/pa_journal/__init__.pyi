# Type stubs of pa_journal (python/pa_journal/__init__.py): the seed's storage API.
from datetime import date, datetime
from json import JSONEncoder
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Optional, Tuple, Type, TypeVar, Union

class StorageError(Exception):
    """Base exception for storage errors."""

class CorruptedDataError(StorageError):
    """Raised when data file is corrupted."""

    file: str  # the damaged file ('' if unknown)
    offset: int  # the byte offset of the damage in it
    seq: int  # the last good sequence number before the damage; 0 if unknown

class BackupNotFoundError(StorageError):
    """Raised when backup file is not found."""

class InvalidInputError(StorageError, ValueError):
    """Input refused before anything was appended (a bad name, key or document)."""

class NotFoundError(StorageError, KeyError):
    """A document or collection that was asked for does not exist."""

class StoreLockedError(StorageError):
    """Another process holds the store's LOCK file."""

class IoError(StorageError, OSError):
    """A system call failed."""

class JournalFailedError(StorageError):
    """The journal stopped accepting writes after a failed write or sync."""

class ConflictError(StorageError):
    """A compare-and-set (if_seq) refused: the document changed after that seq."""

    collection: str
    key: str
    seq: int  # when the store last knew the document to change

class FileStorage:
    """
    Handles file-based storage for application data.

    Features:
    - JSON serialization/deserialization
    - Atomic writes (each save is one durable journaled commit)
    - Automatic backups (the store's snapshots)
    - Error recovery
    """

    base_dir: Path
    backup_dir: Path

    def __init__(self, base_dir: Optional[Union[str, Path]] = None) -> None:
        """
        Initialize file storage.

        Args:
            base_dir: Base directory for storage (default: ~/.personal_assistant)
        """
    def close(self) -> None:
        """Sync the journal and release the store's lock."""
    def __enter__(self) -> FileStorage: ...
    def __exit__(self, *exc: Any) -> None: ...
    def save(self, filename: str, data: List[Dict[str, Any]]) -> bool:
        """
        Save data to JSON file with atomic write.

        Args:
            filename: Name of file (e.g., 'contacts.json')
            data: List of dictionaries to save

        Returns:
            True if successful, False otherwise (see last_error()).

        Raises:
            TypeError, ValueError: data holds what JSON cannot (nothing saved).
        """
    def load(self, filename: str) -> List[Dict[str, Any]]:
        """
        Load data from JSON file.

        Args:
            filename: Name of file to load

        Returns:
            List of dictionaries, or empty list if file doesn't exist
        """
    def create_backup(self, filename: str) -> bool:
        """
        Create a timestamped backup of a file.

        Args:
            filename: Name of file to backup

        Returns:
            True if backup created, False otherwise
        """
    def restore_from_backup(self, filename: str, backup_time: Optional[datetime] = None) -> bool:
        """
        Restore a file from backup.

        Args:
            filename: Name of file to restore
            backup_time: Specific backup time (default: most recent; naive = local time)

        Returns:
            True if restored successfully, False otherwise

        Raises:
            BackupNotFoundError: no backup at backup_time.
        """
    def list_backups(self, filename: str) -> List[Dict[str, Any]]:
        """
        List all available backups for a file.

        Args:
            filename: Name of file

        Returns:
            List of backup info (filename, timestamp, size), newest first
        """
    def delete_old_backups(self, filename: str, keep_count: int = 10) -> None:
        """
        Delete old backups, keeping only the most recent N.

        Args:
            filename: Name of file
            keep_count: Number of backups to keep
        """
    def export_data(self, export_path: Union[str, Path]) -> bool:
        """
        Export all data to specified directory.

        Args:
            export_path: Path to export directory

        Returns:
            True if export successful
        """
    def import_data(self, import_path: Union[str, Path]) -> bool:
        """
        Import data from specified directory.

        Args:
            import_path: Path to import directory

        Returns:
            True if import successful
        """
    def last_error(self) -> str:
        """Why the latest call returning a success flag returned False."""
    def last_seq(self) -> int:
        """The sequence number of the newest commit (0 if none)."""

def recover_from_corruption(storage: FileStorage, filename: str) -> List[Dict[str, Any]]:
    """
    Attempt to recover data from corrupted file.

    Args:
        storage: FileStorage instance
        filename: Name of corrupted file

    Returns:
        Recovered data or empty list
    """

class ConfigManager:
    """
    Manage application configuration.
    """

    DEFAULT_CONFIG: ClassVar[Dict[str, Any]]
    storage: FileStorage
    config: Dict[str, Any]

    def __init__(self, storage: FileStorage) -> None:
        """
        Initialize config manager.

        Args:
            storage: FileStorage instance
        """
    def load_config(self) -> Dict[str, Any]:
        """
        Load configuration from file.

        Returns:
            Configuration dictionary
        """
    def save_config(self) -> None:
        """Save configuration to file."""
    def get(self, key: str, default: Any = None) -> Any:
        """Get configuration value."""
    def set(self, key: str, value: Any) -> None:
        """Set configuration value."""

class DateTimeEncoder(JSONEncoder):
    """
    Custom JSON encoder for datetime objects.
    """

    def default(self, obj: Any) -> Any:
        """Convert datetime objects to ISO format strings."""

def serialize_for_storage(data: List[Any]) -> str:
    """
    Serialize data to JSON string.

    Args:
        data: List of objects to serialize

    Returns:
        JSON string
    """

def deserialize_from_storage(json_str: str, model_class: Any) -> List[Any]:
    """
    Deserialize JSON string to list of objects.

    Args:
        json_str: JSON string to parse
        model_class: Class with from_dict() method

    Returns:
        List of objects
    """

class Transaction:
    """Operations committed as one atomic commit when the with block ends
    without an exception (nothing is committed if it raises)."""

    seq: int
    time: Optional[datetime]

    def __init__(self, store: Store, origin: str = "") -> None:
        """Made by Store.transaction()."""

    def put(
        self, collection: str, key: str, document: Any, *, if_seq: Optional[int] = None
    ) -> None:
        """Gathers: document (a JSON value) becomes collection/key."""
    def patch(
        self, collection: str, key: str, merge_patch: Any, *, if_seq: Optional[int] = None
    ) -> None:
        """Gathers an RFC 7396 merge patch of an existing document."""
    def delete(self, collection: str, key: str, *, if_seq: Optional[int] = None) -> None:
        """Gathers the deletion of an existing document."""
    def __enter__(self) -> Transaction: ...
    def __exit__(self, exc_type: Any, *exc: Any) -> None: ...

class Store:
    """The journal API: a pa-journal store at dir (created if needed)."""

    dir: Path

    def __init__(
        self,
        dir: Union[str, Path],
        *,
        create_if_missing: bool = True,
        lock_wait: float = 0.0,
        compact_after_percent: Optional[int] = None,
    ) -> None: ...
    @property
    def created(self) -> bool:
        """True if opening made a new store at dir."""
    def close(self) -> None:
        """Syncs the journal and releases LOCK."""
    def __enter__(self) -> Store: ...
    def __exit__(self, *exc: Any) -> None: ...
    def get(self, collection: str, key: str) -> Any:
        """The document, or None if there is none."""
    def get_versioned(self, collection: str, key: str) -> Optional[Tuple[Any, int]]:
        """(document, seq of its last change), or None: the seq for if_seq."""
    def list(self, collection: str) -> Dict[str, Any]:
        """Every document of collection by key, in key order."""
    def collections(self) -> List[str]:
        """The names of the collections holding documents."""
    def put(
        self, collection: str, key: str, document: Any, *, if_seq: Optional[int] = None
    ) -> int:
        """Stores document as collection/key; one commit, its seq. if_seq:
        ConflictError, nothing committed, if it changed after that seq."""
    def patch(
        self, collection: str, key: str, merge_patch: Any, *, if_seq: Optional[int] = None
    ) -> int:
        """Applies an RFC 7396 merge patch to an existing document; one commit."""
    def delete(self, collection: str, key: str, *, if_seq: Optional[int] = None) -> int:
        """Deletes an existing document (NotFoundError if none); one commit."""
    def transaction(self, origin: str = "") -> Transaction:
        """A Transaction committing its operations as one commit."""
    def last_seq(self) -> int:
        """The sequence number of the newest commit (0 if none)."""
    def state_at(self, t: datetime) -> Dict[str, Dict[str, Any]]:
        """Every collection as it was at t (naive: local time)."""
    def history(self, collection: str, key: str) -> List[Dict[str, Any]]:
        """Every version of one document, oldest first."""
    def diff(self, since: datetime, until: Optional[datetime] = None) -> List[Dict[str, Any]]:
        """Documents added, changed and deleted from since to until (now by default)."""
    def restore_to(self, t: datetime) -> int:
        """Appends one commit putting the store back to its state at t; its seq."""
