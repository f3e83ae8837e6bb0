"""Tools > Learn from my writing…, and what quitting does to a training run.

Quitting while a style trains asks whether to stop it or keep it training in the background
(the child process finishes the style on its own; it appears in Preferences next time). The
question is asked from an event filter on the window's close, before the window's own
closeEvent; the choice is carried out only when the application really quits, so a close the
writer then cancels (unsaved changes) leaves the training alone.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from penwright.app.window.learn_style_dialog import LearnStyleDialog


class LearnStyleMenu(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.dialog: LearnStyleDialog | None = None
        self._keep: bool | None = None
        self.tools_menu = _tools_menu(window)
        self.action = QAction("&Learn from my writing…", window)
        self.action.triggered.connect(self.show_dialog)
        self.tools_menu.addAction(self.action)
        window.installEventFilter(self)
        QCoreApplication.instance().aboutToQuit.connect(self._on_quit)  # type: ignore[union-attr]

    def show_dialog(self) -> LearnStyleDialog:
        if self.dialog is None:
            self.dialog = LearnStyleDialog(self._window)
        if self.dialog.isVisible():
            self.dialog.raise_()  # behind the window: bring it forward
        self.dialog.show()
        return self.dialog

    @property
    def training(self) -> bool:
        return self.dialog is not None and self.dialog.training

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Close and self.training:
            choice = self.ask_on_quit()
            if choice is None:
                event.ignore()
                return True  # the window stays open
            self._keep = choice
        return False

    def ask_on_quit(self) -> bool | None:
        """True: keep training in the background; False: stop it; None: do not quit."""
        box = QMessageBox(self._window)
        box.setWindowTitle("A style is still training")
        box.setText("Penwright is still learning your style.")
        box.setInformativeText(
            "Keep training in the background and the style appears in Preferences when it is "
            "done; stop now and no style is saved (the next run resumes where this one stopped)."
        )
        keep = box.addButton("Keep training", QMessageBox.ButtonRole.AcceptRole)
        stop = box.addButton("Stop training", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        box.exec()
        clicked = box.clickedButton()
        return True if clicked is keep else False if clicked is stop else None

    def _on_quit(self) -> None:
        run = self.dialog.run if self.dialog is not None else None
        if run is None or not run.running:
            return
        if self._keep:
            run.keep_in_background()
        else:
            run.cancel()


def _tools_menu(window: QMainWindow) -> QMenu:
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and menu.title().replace("&", "") == "Tools":
            return menu
    help_menu = next(
        (a for a in window.menuBar().actions() if a.text().replace("&", "") == "Help"), None
    )
    menu = QMenu("&Tools", window)
    if help_menu is not None:
        window.menuBar().insertMenu(help_menu, menu)
    else:
        window.menuBar().addMenu(menu)
    return menu
