"""Entry point of the `penwright` command and `python -m app`: show the window, then load."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.asyncloop import run_until_quit
from app.document_session import DocumentSession
from app.file_watch import FileWatcher
from app.inference import default_engine_factory
from app.journal import Journal
from app.journal_store import JournalStore, default_data_dir
from app.main_window import APP_NAME, MainWindow
from app.recovery_dialog import RecoveryDialog
from app.settings import SettingsStore
from app.settings_apply import startup_model_spec
from app.test_driver import TestDriver


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="penwright", description="A local AI writing assistant.")
    parser.add_argument("file", nargs="?", help="a .txt or .md file to open")
    # Without --model/--device the stored settings decide; with them, they win for this run only.
    parser.add_argument("--model", help="'default', a folder, a .gguf, a hub id")
    parser.add_argument("--device", choices=["auto", "cuda", "mps", "cpu"])
    parser.add_argument("--no-model", action="store_true", help="write without loading a model")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    qsettings = QSettings()
    store = SettingsStore(qsettings)
    stored = store.load()  # repairs unusable values; the warnings are shown once the window is
    window = MainWindow(
        engine_factory=default_engine_factory,
        settings=qsettings,
        bindings=stored.settings.key_bindings,
        model_spec=startup_model_spec(stored.settings.model, args.model, args.device),
        base_params=stored.settings.generation,
        store=store,
    )
    # Autosave: every unsaved buffer is journalled under the data directory (issue 5).
    journal = Journal(JournalStore(default_data_dir()), window)
    driver = TestDriver.from_environment(window, journal)  # None unless a test drives the app
    session = DocumentSession(
        window,
        journal,
        FileWatcher(window),
        run_recovery_dialog=driver.run_recovery_dialog if driver else RecoveryDialog.exec,
    )
    journal.start()
    journal.watch_application(app)  # type: ignore[arg-type]

    window.show()  # before any model work: the writer can start at once
    window.settings_applier.report_warnings(stored.warnings)
    if args.file:
        window.open_file(args.file, ask=False)
    if not args.no_model:
        window.load_model()
    # After a crash, offer what the journal kept (the model goes on loading meanwhile).
    session.recover()
    if driver is not None:
        driver.start()
    exit_code = run_until_quit(app)  # type: ignore[arg-type]
    journal.end_session()  # the writer saved or discarded everything: nothing to recover
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
