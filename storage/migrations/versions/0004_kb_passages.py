"""kb passages: imported articles (source, content hash, retired) and searchable passages

Search moves from whole articles to passages: SQLite FTS5 over kb_passages (kept in
sync by triggers), a weighted GIN expression index on PostgreSQL. Articles written
without a source (hand-made rows such as the demo's) get one passage from a trigger, so
every article stays searchable however it was inserted.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 07:32:52.859687
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

PG_SEARCH = (
    "(setweight(to_tsvector('english', heading), 'A') || "
    "setweight(to_tsvector('english', text), 'B'))"
)


def upgrade() -> None:
    _drop_article_search()
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('retired', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint('uq_kb_articles_source', ['source'])

    op.create_table('kb_passages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('heading', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('embedding', sa.LargeBinary(), nullable=True),
    sa.Column('embedding_model', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('kb_passages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_passages_article_id'), ['article_id'], unique=False)

    _create_passage_search()
    op.execute(
        "INSERT INTO kb_passages (article_id, position, heading, text) "
        "SELECT id, 0, title, body FROM kb_articles"
    )


def _create_passage_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE kb_passages_fts USING fts5(heading, text, "
            "content='kb_passages', content_rowid='id', "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER kb_passages_ai AFTER INSERT ON kb_passages BEGIN "
            "INSERT INTO kb_passages_fts(rowid, heading, text) "
            "VALUES (new.id, new.heading, new.text); END"
        )
        op.execute(
            "CREATE TRIGGER kb_passages_ad AFTER DELETE ON kb_passages BEGIN "
            "INSERT INTO kb_passages_fts(kb_passages_fts, rowid, heading, text) "
            "VALUES ('delete', old.id, old.heading, old.text); END"
        )
        op.execute(
            "CREATE TRIGGER kb_passages_au AFTER UPDATE OF heading, text ON kb_passages BEGIN "
            "INSERT INTO kb_passages_fts(kb_passages_fts, rowid, heading, text) "
            "VALUES ('delete', old.id, old.heading, old.text); "
            "INSERT INTO kb_passages_fts(rowid, heading, text) "
            "VALUES (new.id, new.heading, new.text); END"
        )
        # Hand-made articles (no source) are their own single passage.
        op.execute(
            "CREATE TRIGGER kb_articles_passage_ai AFTER INSERT ON kb_articles "
            "WHEN new.source IS NULL BEGIN "
            "INSERT INTO kb_passages(article_id, position, heading, text) "
            "VALUES (new.id, 0, new.title, new.body); END"
        )
        op.execute(
            "CREATE TRIGGER kb_articles_passage_au AFTER UPDATE OF title, body ON kb_articles "
            "WHEN new.source IS NULL BEGIN "
            "DELETE FROM kb_passages WHERE article_id = new.id; "
            "INSERT INTO kb_passages(article_id, position, heading, text) "
            "VALUES (new.id, 0, new.title, new.body); END"
        )
    else:
        op.execute(f"CREATE INDEX ix_kb_passages_search ON kb_passages USING gin ({PG_SEARCH})")
        op.execute(
            "CREATE FUNCTION kb_articles_passage() RETURNS trigger AS $$ BEGIN "
            "IF NEW.source IS NULL THEN "
            "DELETE FROM kb_passages WHERE article_id = NEW.id; "
            "INSERT INTO kb_passages(article_id, position, heading, text) "
            "VALUES (NEW.id, 0, NEW.title, NEW.body); "
            "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER kb_articles_passage AFTER INSERT OR UPDATE OF title, body "
            "ON kb_articles FOR EACH ROW EXECUTE FUNCTION kb_articles_passage()"
        )


def _drop_passage_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in (
            "kb_passages_ai", "kb_passages_ad", "kb_passages_au",
            "kb_articles_passage_ai", "kb_articles_passage_au",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS kb_passages_fts")
    else:
        op.execute("DROP TRIGGER IF EXISTS kb_articles_passage ON kb_articles")
        op.execute("DROP FUNCTION IF EXISTS kb_articles_passage()")
        op.execute("DROP INDEX IF EXISTS ix_kb_passages_search")


def _drop_article_search() -> None:
    # 0001's whole-article index; passages replace it.
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("kb_articles_ai", "kb_articles_ad", "kb_articles_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS kb_articles_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_kb_articles_search")


def _create_article_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE kb_articles_fts USING fts5("
            "title, body, content='kb_articles', content_rowid='id', tokenize='porter')"
        )
        op.execute(
            "CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN "
            "INSERT INTO kb_articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END"
        )
        op.execute(
            "CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN "
            "INSERT INTO kb_articles_fts(kb_articles_fts, rowid, title, body) "
            "VALUES ('delete', old.id, old.title, old.body); END"
        )
        op.execute(
            "CREATE TRIGGER kb_articles_au AFTER UPDATE ON kb_articles BEGIN "
            "INSERT INTO kb_articles_fts(kb_articles_fts, rowid, title, body) "
            "VALUES ('delete', old.id, old.title, old.body); "
            "INSERT INTO kb_articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END"
        )
        op.execute("INSERT INTO kb_articles_fts(kb_articles_fts) VALUES ('rebuild')")
    else:
        op.execute(
            "CREATE INDEX ix_kb_articles_search ON kb_articles USING gin "
            "(to_tsvector('english', title || ' ' || body))"
        )


def downgrade() -> None:
    _drop_passage_search()
    with op.batch_alter_table('kb_passages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_passages_article_id'))
    op.drop_table('kb_passages')
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.drop_constraint('uq_kb_articles_source', type_='unique')
        batch_op.drop_column('imported_at')
        batch_op.drop_column('retired')
        batch_op.drop_column('content_hash')
        batch_op.drop_column('source')
    _create_article_search()
