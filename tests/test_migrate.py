import pytest

from pantau import db
from pantau.migrate import MigrationError, discover, migrate


def test_applying_twice_is_a_noop(empty_db_url):
    first = migrate(empty_db_url, log=lambda *_: None)
    assert first == [m.name for m in discover()]
    assert migrate(empty_db_url, log=lambda *_: None) == []
    with db.connect(empty_db_url) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM meta.schema_migration")
        assert cur.fetchone()[0] == len(first)


def test_edited_applied_file_fails_naming_it(empty_db_url, tmp_path):
    (tmp_path / "001_one.sql").write_text("CREATE TABLE public.t1 (a int);")
    (tmp_path / "002_two.sql").write_text("CREATE TABLE public.t2 (a int);")
    assert migrate(empty_db_url, directory=tmp_path, log=lambda *_: None) == ["001_one.sql", "002_two.sql"]
    (tmp_path / "002_two.sql").write_text("CREATE TABLE public.t2 (a int, b int);")
    with pytest.raises(MigrationError, match="002_two.sql was changed after it was applied"):
        migrate(empty_db_url, directory=tmp_path, log=lambda *_: None)


def test_failed_migration_leaves_nothing_behind(empty_db_url, tmp_path):
    (tmp_path / "001_ok.sql").write_text("CREATE TABLE public.ok (a int);")
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE public.half (a int); SELECT broken syntax here;")
    with pytest.raises(Exception):
        migrate(empty_db_url, directory=tmp_path, log=lambda *_: None)
    with db.connect(empty_db_url) as c, c.cursor() as cur:
        cur.execute("SELECT to_regclass('public.half'), to_regclass('public.ok')")
        assert cur.fetchone() == (None, "ok")
        cur.execute("SELECT name FROM meta.schema_migration")
        assert [r[0] for r in cur.fetchall()] == ["001_ok.sql"]


def test_bad_file_name_is_rejected(tmp_path):
    (tmp_path / "1_x.sql").write_text("select 1")
    with pytest.raises(MigrationError, match="NNN_name.sql"):
        discover(tmp_path)
