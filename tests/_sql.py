"""SQL on a tracking database from a child process, for tests that look under mlrs.

Not through this process's `sqlite3`: that module links a second copy of SQLite, and two copies
in one process that open the same WAL database do not see each other's POSIX locks. Closing the
other copy's connection can then drop the WAL file under mlrs's open connections, and what mlrs
writes next becomes invisible (the limitation README's "Migrating" section describes).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_CHILD = """
import json, sqlite3, sys
db, sql, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
conn = sqlite3.connect(db, timeout=60)
try:
    with conn:
        rows = conn.execute(sql, args).fetchall()
finally:
    conn.close()
print(json.dumps(rows))
"""


def rows(db: Path | str, sql: str, *args: object) -> list[tuple[object, ...]]:
    """The rows `sql` returns (or [] for a statement), committed before this returns."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(db), sql, json.dumps(list(args))],
        capture_output=True,
        text=True,
        check=True,
    )
    return [tuple(row) for row in json.loads(done.stdout)]
