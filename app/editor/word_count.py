"""The document's word count, kept up to date without re-reading the whole text per keystroke.

Counting a 5 MB document takes most of a second, so each block (paragraph) remembers its own
count in QTextBlock.userState, and an edit recounts only the blocks it touched. Qt keeps a
block's user state when the block is edited or split (the first part keeps it, new blocks
start at -1), so an edit that did not merge blocks knows the old count of the one block it
changed. Edits that merged blocks (deleting across a line break, some undos) lose the merged
blocks' counts; they fall back to a full pass, deferred until typing pauses, that reuses every
count still known. Qt reports edit positions (contentsChange) only for a document with a
layout, such as the editor's.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QTextBlock, QTextDocument

from penwright.models.prose import count_words

_UNKNOWN = -1  # Qt's default user state: this block has not been counted since it changed
FULL_PASS_DELAY_MS = 300


class WordCounter(QObject):
    """Emits `changed(words)` whenever the document's word count may have changed."""

    changed = Signal(int)

    def __init__(self, document: QTextDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._block_count = document.blockCount()
        self.words = 0
        self._full_pass = QTimer(self)
        self._full_pass.setSingleShot(True)
        self._full_pass.setInterval(FULL_PASS_DELAY_MS)
        self._full_pass.timeout.connect(self.recount)
        document.contentsChange.connect(self._on_contents_change)
        self.recount()

    @Slot()
    def recount(self) -> None:
        """Sum every block's count, counting only the blocks whose count is unknown."""
        self._full_pass.stop()
        total = 0
        block = self._document.begin()
        while block.isValid():
            words = block.userState()
            if words == _UNKNOWN:
                words = _count_block(block)
            total += words
            block = block.next()
        self._block_count = self._document.blockCount()
        self._publish(total)

    @Slot(int, int, int)
    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        document = self._document
        first = document.findBlock(position)
        last = document.findBlock(position + added)
        if not last.isValid():
            last = document.lastBlock()
        separators_added = last.blockNumber() - first.blockNumber()
        separators_removed = separators_added - (document.blockCount() - self._block_count)
        self._block_count = document.blockCount()
        old_words = first.userState()
        if first == document.begin() and last == document.lastBlock() and old_words == _UNKNOWN:
            self.recount()  # the whole text was replaced (opened, new): nothing to reuse
            return
        if self._full_pass.isActive() or separators_removed != 0 or old_words == _UNKNOWN:
            # Counts of merged-away blocks are lost: mark what changed, count it all later.
            block = first
            while block.isValid() and block.blockNumber() <= last.blockNumber():
                block.setUserState(_UNKNOWN)
                block = block.next()
            self._full_pass.start()
            return
        # Only `first` existed before the edit (it kept its count); first..last exist now.
        new_words = 0
        block = first
        while block.isValid() and block.blockNumber() <= last.blockNumber():
            new_words += _count_block(block)
            block = block.next()
        self._publish(self.words - old_words + new_words)

    def _publish(self, total: int) -> None:
        self.words = total
        self.changed.emit(total)


def _count_block(block: QTextBlock) -> int:
    words = count_words(block.text())
    block.setUserState(words)
    return words
