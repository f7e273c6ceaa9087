"""Files shared through the stand-in for Slack, the way Slack's external upload works:
`files.getUploadURLExternal` reserves a file and hands out an upload URL, the client POSTs the
bytes there, and `files.completeUploadExternal` shares the file in a channel (a direct
message opened with `conversations.open`). The console saves each shared file to a folder and
prints its path."""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass
class SharedFile:
    """A reserved file; content once uploaded, channel once shared, path once saved."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str = ""
    channel: str | None = None
    path: Path | None = None


class FileShelf:
    """The files reserved, uploaded and shared, and the direct-message channels opened."""

    def __init__(self, save_to: Path | None = None) -> None:
        self.save_to = save_to  # where shared files are written (the console's folder)
        self._files: dict[str, SharedFile] = {}
        self._serial = itertools.count(1)
        self._lock = threading.Lock()

    @staticmethod
    def dm_channel(user: str) -> str:
        """The direct-message channel between the bot and user (always the same one)."""
        return "D" + user.lstrip("UW")

    def reserve(self, filename: str, length: int) -> SharedFile:
        with self._lock:
            shared = SharedFile(f"F{next(self._serial):08d}", filename, length)
            self._files[shared.id] = shared
            return shared

    def receive(self, file_id: str, content: bytes) -> bool:
        """Take the upload's bytes; False for an unknown file or a length not reserved."""
        with self._lock:
            shared = self._files.get(file_id)
            if shared is None or len(content) != shared.length:
                return False
            shared.content = content
            return True

    def share(self, file_id: str, title: str, channel: str) -> SharedFile | None:
        """Share an uploaded file in channel (saved when there is a folder); None when the file
        is unknown or its bytes never came."""
        with self._lock:
            shared = self._files.get(file_id)
            if shared is None or shared.content is None:
                return None
            shared.title, shared.channel = title or shared.filename, channel
            if self.save_to is not None:
                self.save_to.mkdir(parents=True, exist_ok=True)
                shared.path = self.save_to / f"{shared.id}-{Path(shared.filename).name}"
                shared.path.write_bytes(shared.content)
            return shared

    def get(self, file_id: str) -> SharedFile | None:
        with self._lock:
            return self._files.get(file_id)

    def shared(self) -> list[SharedFile]:
        """The files shared so far, in order."""
        with self._lock:
            return [f for f in self._files.values() if f.channel is not None]
