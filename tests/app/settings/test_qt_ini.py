"""app.settings.qt_ini reads Qt's INI format as QSettings does, without making objects.

Each file here holds only plain values, so QSettings itself can be asked what it reads: the port
must find the same keys with the same text, or a stored object could hide from defuse.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from penwright.app.settings.qt_ini import read_entries

FILES = {
    "sections and general": b"top=1\n[General]\nname=Noto Serif\n[editor]\nfont_size=12\n",
    "a section called general": b"[%General]\nx=1\n",
    "escaped keys": b"[a%20b]\nc%2Fd=1\nsub\\key=2\n%U00E9t%U00E9=summer\n",
    "quotes and lists": b'[l]\nq="a, b"\nlist=a, b ,c\nmixed="x", y\nspaces="  x "\n',
    "escapes": b"[e]\nhex=\\x41\\x62c\noct=\\101\\102\nnl=one\\ntwo\ntab=a\\tb\nskip=a\\qb\n",
    "continued lines": b"[c]\nlong=first \\\nsecond\nafter=1\n",
    "comments": b"; a comment\n[k]\n; another = with equals\nkey=value ; trailing\nnext=2\n",
    "crlf and blanks": b"[w]\r\n\r\n  padded  =  value  \r\nempty=\r\n",
    "utf-8 and a bom": "\ufeff[u]\nname=日本 é\n".encode(),
    "a quote over lines": b'[m]\nmulti="line one\nline two"\nafter=ok\n',
    "escaped specials": b'[s]\nq=say \\"hi\\" ; not a comment\nsemi=a\\;b\neq=a\\=b\nnext=1\n',
    "backslashes before a line end": b"[b]\neven=a\\\\\nodd=b\\\\\\\nc\ncrlf=d\\\r\ne\r\nlast=1\n",
    "duplicate sections": b"[d]\na=1\n[other]\nb=2\n[d]\nc=3\n",
}


@pytest.mark.parametrize("content", FILES.values(), ids=FILES)
def test_entries_are_the_keys_and_text_qsettings_reads(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "s.ini"
    path.write_bytes(content)
    qsettings = QSettings(str(path), QSettings.Format.IniFormat)

    ours = {entry.key: entry.strings() for entry in read_entries(content)}

    assert sorted(ours) == sorted(qsettings.allKeys())
    for key, strings in ours.items():
        value = qsettings.value(key)
        expected = tuple(value) if isinstance(value, list) else (value,)
        # Trailing blanks are the one thing the port may trim differently; defuse ignores them.
        assert tuple(s.rstrip() for s in strings) == tuple(s.rstrip() for s in expected), key


def test_each_entry_spans_its_whole_line(tmp_path: Path) -> None:
    content = b"[a]\nx=1\nlong=first \\\nsecond\ny=2\n"
    spans = {e.key: content[e.start : e.end] for e in read_entries(content)}
    assert spans == {"a/x": b"x=1", "a/long": b"long=first \\\nsecond", "a/y": b"y=2"}


def test_a_two_megabyte_value_is_one_entry(tmp_path: Path) -> None:
    content = b"[editor]\nfont_family=" + b"Serif" * 400_000 + b"\nfont_size=12\n"
    entries = read_entries(content)
    assert [e.key for e in entries] == ["editor/font_family", "editor/font_size"]
    assert len(entries[0].raw_value) == 2_000_000
