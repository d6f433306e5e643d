from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

# On SQLite the staff search is served by an FTS5 table with the trigram tokenizer (SQLite 3.34
# and later): it indexes every three-character substring of the searched columns of `quote`,
# whose rows it reads (external content), and triggers keep it current. PostgreSQL has trigram
# GIN indexes for the same search since 0015_indexes.
TABLE = "quote_search"
SEARCHED = ("number", "contact_name", "contact_email")
COLUMNS = ", ".join(SEARCHED)
NEW = ", ".join(f"new.{column}" for column in SEARCHED)
OLD = ", ".join(f"old.{column}" for column in SEARCHED)
STATEMENTS = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5({COLUMNS}, content='quote', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON quote BEGIN "
    f"INSERT INTO {TABLE}(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON quote BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE OF {COLUMNS} ON quote BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); "
    f"INSERT INTO {TABLE}(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
]


async def create_search(apps: Any, schema_editor: Any) -> None:
    if schema_editor.client.capabilities.dialect != "sqlite":
        return
    for statement in STATEMENTS:
        await schema_editor.client.execute_script(statement)


async def drop_search(apps: Any, schema_editor: Any) -> None:
    if schema_editor.client.capabilities.dialect != "sqlite":
        return
    for trigger in ("insert", "delete", "update"):
        await schema_editor.client.execute_script(f"DROP TRIGGER IF EXISTS {TABLE}_{trigger}")
    await schema_editor.client.execute_script(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    """The staff search over SQLite served by a trigram full-text index instead of a scan."""

    dependencies = [('models', '0015_indexes')]

    initial = False

    operations = [ops.RunPython(create_search, drop_search)]
