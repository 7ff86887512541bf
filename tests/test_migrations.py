"""Migrations build exactly the schema the models describe, on both databases."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from checkpoint import create_app
from checkpoint.extensions import db
from tests.conftest import PostgresSchema, test_config


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        with PostgresSchema() as url:
            yield url


def _differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_on_an_empty_database_matches_the_models(empty_database):
    app = create_app(test_config(empty_database))
    with app.app_context():
        upgrade()
        assert _differences() == []
        db.engine.dispose()


def test_the_migrations_go_down_and_up_again(empty_database):
    app = create_app(test_config(empty_database))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "observation" in inspect(db.engine).get_table_names()
        db.engine.dispose()
