"""The writer's text files, as the documents package knew them: now penwright.models.files.textfile.

Reading, decoding and the atomic save live in the Qt-free models.files.textfile, shared with the
command line; nothing here is specific to the app any more. This module only keeps the old import
path working for code not yet moved to the new one.
"""

from penwright.models.files.textfile import (
    NotTextError,
    SaveError,
    TextFormat,
    read_text_file,
    write_text_file,
)

__all__ = ["NotTextError", "SaveError", "TextFormat", "read_text_file", "write_text_file"]
