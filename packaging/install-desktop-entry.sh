#!/usr/bin/env bash
# Installs Penwright's desktop entry, icon and AppStream metadata for the current user, after
# `pip install` has put the `penwright` command on the PATH. Run it from a source checkout or an
# unpacked sdist; XDG_DATA_HOME decides where (default ~/.local/share).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
app_id=io.github.penwright.Penwright
install -Dm644 "$here/$app_id.desktop" "$data/applications/$app_id.desktop"
install -Dm644 "$here/../resources/icons/penwright.svg" \
  "$data/icons/hicolor/scalable/apps/$app_id.svg"
install -Dm644 "$here/$app_id.metainfo.xml" "$data/metainfo/$app_id.metainfo.xml"
rm -f "$data/applications/penwright.desktop"  # the entry's name before 0.2.0
if command -v update-desktop-database >/dev/null; then
  update-desktop-database -q "$data/applications" || true
fi
if ! command -v penwright >/dev/null; then
  echo "Note: 'penwright' is not on the PATH; the menu entry runs it (pip install penwright)." >&2
fi
echo "Installed Penwright's desktop entry into $data"
