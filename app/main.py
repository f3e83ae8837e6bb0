"""Entry point of the `penwright` command and `python -m app`: show the window, then load."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.asyncloop import run_until_quit
from app.inference import default_engine_factory
from app.keymap import DEFAULT_BINDINGS
from app.main_window import APP_NAME, MainWindow
from models.spec import ModelSpec


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="penwright", description="A local AI writing assistant.")
    parser.add_argument("file", nargs="?", help="a .txt or .md file to open")
    parser.add_argument("--model", default="default", help="'default', a folder, a .gguf, a hub id")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    window = MainWindow(
        engine_factory=default_engine_factory,
        settings=QSettings(),
        bindings=DEFAULT_BINDINGS,
        model_spec=ModelSpec(source=args.model, device=args.device),
    )
    window.show()  # before any model work: the writer can start at once
    if args.file:
        window.open_file(args.file, ask=False)
    window.load_model()
    return run_until_quit(app)  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
