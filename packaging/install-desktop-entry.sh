#!/usr/bin/env bash
# Installs Penwright's desktop entry and icon for the current user (after `pip install`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
install -Dm644 "$here/penwright.desktop" "$data/applications/penwright.desktop"
install -Dm644 "$here/../resources/icons/penwright.svg" \
  "$data/icons/hicolor/scalable/apps/io.github.penwright.Penwright.svg"
install -Dm644 "$here/io.github.penwright.Penwright.metainfo.xml" \
  "$data/metainfo/io.github.penwright.Penwright.metainfo.xml"
echo "Installed Penwright's desktop entry into $data"
