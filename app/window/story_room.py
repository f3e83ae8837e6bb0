"""The story side of the window: the Story panel following the current tab, the story and ban
list of each tab's document added to its requests, and the context view.

The values live in the documents' sidecars (documents/sidecar_keeper.py); the panel edits the
current tab's. Each request a tab makes carries that tab's story and banned phrases in its
GenerationParams, and the engine assembles exactly what the model reads from them
(models/story/assembly.py); the context view asks the engine for that same assembly.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction

from penwright.app.documents.open_document import OpenDocument
from penwright.app.documents.sidecar_keeper import SidecarKeeper
from penwright.app.window.context_view import ContextView
from penwright.app.window.story_panel import StoryPanel
from penwright.models.params import GenerationParams
from penwright.models.story.assembly import PromptPreview

if TYPE_CHECKING:
    from penwright.app.window.main_window import MainWindow

STORY_PANEL_KEY = "Ctrl+Shift+Y"
CONTEXT_VIEW_KEY = "Ctrl+Shift+K"


class StoryRoom(QObject):
    """Adds View > Story Panel and View > Show Context… to ``window``."""

    def __init__(self, window: MainWindow, keeper: SidecarKeeper) -> None:
        super().__init__(window)
        self._window = window
        self._keeper = keeper
        self._shown: OpenDocument | None = None  # whose story the panel holds
        self._writing = False  # the panel's own change is going into the keeper
        self._preview_id = 0
        self.context_view: ContextView | None = None

        panel = self.panel = StoryPanel(window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, panel)
        panel.hide()
        toggle = self.panel_action = panel.toggleViewAction()
        toggle.setText("&Story Panel")
        toggle.setShortcut(STORY_PANEL_KEY)
        self.context_action = QAction("Show &Context…", self)
        self.context_action.setShortcut(CONTEXT_VIEW_KEY)
        self.context_action.triggered.connect(self.show_context)
        menu = window.view_menu.menu
        menu.addSeparator()
        menu.addAction(toggle)
        menu.addAction(self.context_action)
        window.addAction(toggle)  # the keys work while focus mode hides the menu bar
        window.addAction(self.context_action)

        panel.edited.connect(self._on_panel_edited)
        panel.context_requested.connect(self.show_context)
        keeper.changed.connect(self._follow)
        window.current_changed.connect(lambda _document: self._follow())
        window.add_params_adjuster(self.with_story)
        window.controller.context_previewed.connect(self._on_previewed)
        self._follow()

    # -- requests -------------------------------------------------------------------------------

    def with_story(self, document: OpenDocument, params: GenerationParams) -> GenerationParams:
        """``params`` with ``document``'s story and banned phrases (what its requests carry)."""
        if not self._keeper.holds(document):
            return params
        if document is self._shown:
            self.panel.flush()  # an edit still in its pause counts for this request
        story = self._keeper.story(document)
        return replace(
            params,
            story=None if story.empty else story,
            banned_phrases=self._keeper.banned_phrases(document),
        )

    # -- the panel follows the current tab -----------------------------------------------------

    @Slot()
    def _follow(self) -> None:
        if self._writing or self._window.tab_widget.count() == 0:
            return  # (no tab: between closing the last one and opening its replacement)
        document = self._window.current_document
        if not self._keeper.holds(document):
            return
        if self._shown is not None and self._shown is not document:
            self.panel.flush()  # the previous tab's last edit goes to the previous tab
        self._shown = document
        self.panel.show_story(
            document.name,
            self._keeper.story(document),
            self._keeper.banned_phrases(document),
        )

    @Slot()
    def _on_panel_edited(self) -> None:
        document = self._shown
        if document is None or not self._keeper.holds(document):
            return
        self._writing = True
        try:
            self._keeper.set_story(self.panel.story(), document)
            self._keeper.set_banned_phrases(self.panel.banned_phrases(), document)
        finally:
            self._writing = False

    # -- the context view ----------------------------------------------------------------------

    @Slot()
    def show_context(self) -> None:
        """Open (or refresh) the context view for the current tab's next suggestion."""
        if self.context_view is None:
            self.context_view = ContextView(self._window)
            self.context_view.refresh_button.clicked.connect(self.show_context)
        view = self.context_view
        view.show_problem("Asking the model…")
        view.show()  # non-modal: the writer reads it beside the text
        window = self._window
        if window.controller.model_info is None:
            view.show_problem("No model is loaded yet: the context view needs one.")
            return
        params = window.request_params(window.current_document)
        text = window.editor.text_before_cursor()
        self._preview_id = window.controller.request_preview(text, params)

    @Slot(int, object)
    def _on_previewed(self, preview_id: int, result: object) -> None:
        if preview_id != self._preview_id or self.context_view is None:
            return  # an older question, or the view was never opened
        if isinstance(result, PromptPreview):
            self.context_view.show_preview(result)
        else:
            self.context_view.show_problem(str(result))
