"""The composition root: `penwright` and `python -m penwright` build every part here, in one place.

`build` makes the window, its controller, settings applier, dialogs, journal and document session
exactly as the app runs them; tests build the same window through it. `main` shows the window
before any model work, then loads. A caller may pass `StartupHooks` (the test driver under
tests/app does) to answer the recovery dialog and to act once start-up is done.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from penwright import __version__
from penwright.app.documents.file_watch import FileWatcher
from penwright.app.documents.journal import Journal
from penwright.app.documents.journal_store import JournalStore
from penwright.app.documents.log_buffer import BufferMeta
from penwright.app.documents.open_document import OpenDocument
from penwright.app.documents.quit_signals import QuitSignals
from penwright.app.documents.recovery_dialog import RecoveryDialog
from penwright.app.documents.session import DocumentSession
from penwright.app.documents.sidecar_keeper import SidecarKeeper
from penwright.app.inference.controller import (
    DeviceProbe,
    EngineFactory,
    default_device_probe,
    default_engine_factory,
)
from penwright.app.inference.remote_route import RemoteRouting
from penwright.app.settings.apply import startup_model_spec
from penwright.app.settings.plain_values import open_user_settings
from penwright.app.settings.secrets import shared_keys
from penwright.app.settings.store import LoadResult, SettingsStore
from penwright.app.tasks import run_until_quit
from penwright.app.window.first_launch import welcome_on_first_run
from penwright.app.window.last_session import LastSessionKeeper
from penwright.app.window.main_window import MainWindow
from penwright.app.window.model_switch import ModelSwitch
from penwright.app.window.story_room import StoryRoom
from penwright.app.window.writing_aids import add_writing_aids
from penwright.models.files.folders import data_root
from penwright.models.files.logs import configure_logging
from penwright.models.spec import DEVICES, ModelSpec
from penwright.resources import APP_ID, APP_NAME, icon_path

logger = logging.getLogger(__name__)

SIGNAL_SHUTDOWN_MS = 3000
"""How long a quit forced by a signal waits for the model threads before leaving without them."""


class StartupHooks:
    """What a caller may observe or answer during start-up; the defaults are the app's own."""

    def built(self, parts: Penwright) -> None:
        """Everything is built; the window is not shown yet."""

    def run_recovery_dialog(self, dialog: RecoveryDialog) -> object:
        return dialog.exec()

    def started(self) -> None:
        """The window shows, the file is open, the model is loading, recovery was offered."""


@dataclass
class Penwright:
    """The parts of one running app, as `build` wired them."""

    window: MainWindow
    store: SettingsStore
    stored: LoadResult
    journal: Journal
    session: DocumentSession
    model_switch: ModelSwitch
    last_session: LastSessionKeeper
    sidecars: SidecarKeeper | None = None  # the document's sidecar (story, banned phrases)
    story_room: StoryRoom | None = None  # the Story panel, the context view


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="penwright", description="A local AI writing assistant.")
    parser.add_argument("files", nargs="*", metavar="FILE", help="a .txt or .md file to open")
    # Without --model/--device the stored settings decide; with them, they win for this run only.
    parser.add_argument("--model", help="'default', a model folder, a .gguf file or a hub id")
    parser.add_argument("--device", choices=DEVICES, help="where to run it")
    parser.add_argument("--no-model", action="store_true", help="write without loading a model")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def build(
    qsettings: QSettings,
    args: argparse.Namespace,
    hooks: StartupHooks,
    *,
    engine_factory: EngineFactory = default_engine_factory,
    device_probe: DeviceProbe = default_device_probe,
    data_dir: Path | None = None,
    model_spec: ModelSpec | None = None,
) -> Penwright:
    """The app's parts, wired. Tests pass their own engine, devices, data folder or model."""
    store = SettingsStore(qsettings)
    stored = store.load()  # repairs unusable values; the warnings are shown once the window is
    window = MainWindow(
        engine_factory=engine_factory,
        settings=qsettings,
        bindings=stored.settings.key_bindings,
        model_spec=model_spec or startup_model_spec(stored.settings.model, args.model, args.device),
        base_params=stored.settings.generation,
        store=store,
        device_probe=device_probe,
    )
    # "remote:NAME" models stream from the servers of Preferences > Model.
    window.controller.route_sources(RemoteRouting(store, shared_keys()))
    model_switch = ModelSwitch(store, window)  # one click between local and remote models
    window.statusBar().addPermanentWidget(model_switch)
    # Autosave: every unsaved buffer is journalled under the data directory.
    journal = Journal(JournalStore(data_dir or data_root()), window)
    session = DocumentSession(
        window, journal, FileWatcher(window), run_recovery_dialog=hooks.run_recovery_dialog
    )
    watch_window_documents(journal, window, session)
    add_writing_aids(window, store, (data_dir or data_root()) / "spelling" / "words.txt")
    # The document's sidecar beside its file, and in the journal while it is unsaved.
    sidecars = SidecarKeeper(window, session, journal)
    window.authorship.keep_in(sidecars)  # provenance in its "provenance" section
    # A phrase the writer keeps dismissing, once banned, goes on the document's ban list.
    window.authorship.ban_phrase = lambda phrase: sidecars.set_banned_phrases(
        tuple(dict.fromkeys((*sidecars.banned_phrases(), phrase)))
    )
    last_session = LastSessionKeeper(window, store)
    # The Story panel and context view; each tab's requests carry its story and ban list.
    story_room = StoryRoom(window, sidecars)
    return Penwright(
        window, store, stored, journal, session, model_switch, last_session, sidecars, story_room
    )


def watch_window_documents(journal: Journal, window: MainWindow, session: DocumentSession) -> None:
    """Each tab's document is journalled as an edit log: its edits, never its whole text."""

    def watch(document: OpenDocument) -> None:
        def describe() -> BufferMeta:
            modified = document.modified
            return BufferMeta(document.file_path, document.name, document.file_format, modified)

        journal.watch_document(
            document.editor.document(), lambda: session.buffer_id_of(document), describe
        )

    window.add_document_setup(watch)
    window.document_closed.connect(
        lambda document: journal.unwatch_document(document.editor.document())
    )


def open_files(window: MainWindow, files: list[str]) -> None:
    """Open each file in a tab of its own (one that is open already comes to the front)."""
    for name in files:
        window.open_file(name, ask=False)


def main(argv: list[str] | None = None, hooks: StartupHooks | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    configure_logging()  # the log file Help > Diagnostics shows; stderr if it cannot be written
    logger.info("Penwright %s starting: %s", __version__, args)
    hooks = hooks or StartupHooks()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    QGuiApplication.setWindowIcon(QIcon(str(icon_path())))  # from the installed package
    QGuiApplication.setDesktopFileName(APP_ID)  # the desktop entry: taskbar icon, window grouping
    parts = build(open_user_settings(), args, hooks)  # one INI file, read without unpickling
    hooks.built(parts)
    window = parts.window
    parts.journal.start()
    parts.journal.watch_application(app)  # type: ignore[arg-type]
    # SIGTERM, SIGHUP, SIGQUIT, SIGINT: the journal is written first, its text kept for recovery.
    signals = QuitSignals(app, lambda _number: parts.journal.flush())

    try:
        exit_code = _run(app, parts, args, hooks, signals)
    finally:
        signals.uninstall()  # the default handlers again, for whoever runs after us (tests)
    if signals.received is not None:
        parts.journal.flush_and_leave()  # again: what the last events before the exit changed
        window.hide()
        # The worker thread stops; no question asked, the journal has it all. A first-run
        # conversion may not notice for many seconds: then leave without it (exiting the
        # interpreter with a QThread still running would abort).
        if not window.shutdown(timeout_ms=SIGNAL_SHUTDOWN_MS):
            logger.warning("the model loader was still busy; leaving without it")
            logging.shutdown()
            os._exit(128 + signals.received)
        return 128 + signals.received  # the journal was written and is kept for recovery
    parts.journal.end_session()  # the writer saved or discarded everything: nothing to recover
    return exit_code


def _run(
    app: QCoreApplication,
    parts: Penwright,
    args: argparse.Namespace,
    hooks: StartupHooks,
    signals: QuitSignals,
) -> int:
    """Show the window, reopen the last session, open files, offer recovery, and run until the
    app quits."""
    window = parts.window
    parts.last_session.restore_geometry()
    window.show()  # before any model work: the writer can start at once
    window.settings_applier.report_warnings(parts.stored.warnings)
    # The last session's files, then the command line's beside them.
    parts.last_session.reopen(args.files)
    # The very first start shows the welcome guide (untitled, so it is never overwritten).
    welcome_on_first_run(
        window,
        parts.store.qsettings,
        parts.stored.settings.key_bindings,
        opened_files=bool(args.files) or window.file_path is not None,
    )
    if not args.no_model:
        window.load_model()
    # After a crash, offer what the journal kept (the model goes on loading meanwhile).
    parts.session.recover()
    hooks.started()
    try:
        return run_until_quit(app)  # type: ignore[arg-type]
    except RuntimeError:  # the loop was stopped from under asyncio by a signal
        if signals.received is None:
            raise
        return 128 + signals.received


if __name__ == "__main__":
    sys.exit(main())
