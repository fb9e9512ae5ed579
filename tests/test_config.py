"""Configuration: secrets made once and kept, database URLs understood."""
import stat

from webapp.config import Config


def test_secret_key_is_generated_once_and_kept_private(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = Config(str(tmp_path)).SECRET_KEY
    assert len(first) >= 40
    assert Config(str(tmp_path)).SECRET_KEY == first
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_secret_key_from_the_environment_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert Config(str(tmp_path)).SECRET_KEY == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert Config(str(tmp_path)).SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path}/tend.db"


def test_postgres_urls_use_psycopg(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/tend")
    assert Config(str(tmp_path)).SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/tend"
