"""SQLAlchemy 1.4 (Debian's python3-sqlalchemy, psycopg2 dialect) as an
application uses it: connect, reflect with the inspector, the ORM over a
SERIAL key (create_all, add, commit, query, update, delete) and a text()
query with bound parameters.

Connects with libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD,
PGDATABASE) and prints one JSON object: what each step gave, with the
names that differ between servers (database, owner) left out, so the
caller can compare murphy's output with PostgreSQL's.
"""
import json
import os
import sys

import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class Item(Base):
    """Integer primary key: create_all makes it SERIAL and the ORM reads the
    key back with INSERT … RETURNING."""
    __tablename__ = "sqla_item"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(40), nullable=False)
    price = sa.Column(sa.Numeric(10, 2))
    added = sa.Column(sa.DateTime(timezone=True))
    active = sa.Column(sa.Boolean, default=True)


def engine():
    url = sa.engine.URL.create("postgresql+psycopg2", username=os.environ["PGUSER"],
                               password=os.environ.get("PGPASSWORD"),
                               host=os.environ["PGHOST"], port=int(os.environ["PGPORT"]),
                               database=os.environ["PGDATABASE"])
    return sa.create_engine(url, future=True)


def step_connect(eng, out):
    with eng.connect() as conn:
        out["select_1"] = conn.execute(sa.text("SELECT 1")).scalar()
        out["server_major"] = eng.dialect.server_version_info[0]
        out["default_schema"] = eng.dialect.default_schema_name


def step_inspect(eng, out):
    insp = sa.inspect(eng)
    out["has_table"] = insp.has_table("sqla_item")
    out["tables"] = sorted(t for t in insp.get_table_names() if t.startswith("sqla_"))
    out["schemas_has_public"] = "public" in insp.get_schema_names()
    cols = insp.get_columns("sqla_item")
    out["columns"] = [[c["name"], str(c["type"]), c["nullable"]] +
                      ([] if c["name"] == "id" else [c["default"]]) for c in cols]
    # the SERIAL key's default, and what SQLAlchemy (and Alembic) make of it
    out["serial_default"] = [[c["default"], c["autoincrement"]] for c in cols
                             if c["name"] == "id"]
    out["pk"] = insp.get_pk_constraint("sqla_item")["constrained_columns"]
    out["indexes"] = sorted([i["name"], i["column_names"], i["unique"]]
                            for i in insp.get_indexes("sqla_item"))


def step_inspect_more(eng, out):
    """The rest of what Alembic's autogenerate reads."""
    insp = sa.inspect(eng)
    out["unique"] = insp.get_unique_constraints("sqla_item")
    out["foreign_keys"] = insp.get_foreign_keys("sqla_item")
    out["checks"] = insp.get_check_constraints("sqla_item")
    out["comment"] = insp.get_table_comment("sqla_item")
    out["views"] = [v for v in insp.get_view_names() if v.startswith("sqla_")]
    out["sequences"] = [q for q in insp.get_sequence_names() if q.startswith("sqla_")]


def step_alter(eng, out):
    """Alembic-style migrations: op.add_column, op.create_index,
    op.alter_column(nullable), op.drop_index, op.drop_column, as the SQL
    Alembic emits for PostgreSQL."""
    auto = eng.execution_options(isolation_level="AUTOCOMMIT")
    with auto.connect() as conn:
        conn.execute(sa.text("ALTER TABLE sqla_item ADD COLUMN note VARCHAR(20)"))
        conn.execute(sa.text("CREATE INDEX ix_sqla_item_name ON sqla_item (name)"))
    insp = sa.inspect(eng)
    out["alter_columns"] = [[c["name"], str(c["type"]), c["nullable"]]
                            for c in insp.get_columns("sqla_item")]
    out["alter_indexes"] = sorted([i["name"], i["column_names"], i["unique"]]
                                  for i in insp.get_indexes("sqla_item"))
    with auto.connect() as conn:
        conn.execute(sa.text("DROP INDEX ix_sqla_item_name"))
        conn.execute(sa.text("ALTER TABLE sqla_item DROP COLUMN note"))
    out["after_drop"] = [c["name"] for c in sa.inspect(eng).get_columns("sqla_item")]


def step_alter_in_block(eng, out):
    """Alembic runs a PostgreSQL migration in one transaction
    (transactional_ddl): ALTER TABLE inside BEGIN … COMMIT."""
    try:
        with eng.begin() as conn:
            conn.execute(sa.text("ALTER TABLE sqla_item ADD COLUMN rev int"))
            conn.execute(sa.text("UPDATE sqla_item SET rev = 1"))
        out["alter_in_block"] = [c["name"] for c in sa.inspect(eng).get_columns("sqla_item")]
    except sa.exc.DBAPIError as e:
        out["alter_in_block"] = "%s %s" % (e.orig.pgcode, str(e.orig).split("\n")[0])


def step_orm(eng, out):
    import datetime
    from decimal import Decimal
    when = datetime.datetime(2024, 3, 1, 12, 30, tzinfo=datetime.timezone.utc)
    with Session(eng) as s:
        items = [Item(name="apple", price=Decimal("1.25"), added=when),
                 Item(name="pear", price=Decimal("0.75"), added=when, active=False),
                 Item(name="plum", price=None, added=None)]
        s.add_all(items)
        s.commit()
        out["orm_ids"] = [i.id for i in items]
    with Session(eng) as s:
        rows = s.query(Item).order_by(Item.id).all()
        out["orm_query"] = [[r.id, r.name, str(r.price), r.added and r.added.isoformat(),
                             r.active] for r in rows]
        pear = s.query(Item).filter_by(name="pear").one()
        pear.price = Decimal("0.80")
        s.delete(s.query(Item).filter(Item.name == "plum").one())
        s.commit()
    with Session(eng) as s:
        out["orm_after"] = [[r.name, str(r.price)] for r in
                            s.query(Item).order_by(Item.name)]
        out["orm_count"] = s.query(sa.func.count(Item.id)).scalar()


def step_text(eng, out):
    with eng.begin() as conn:
        r = conn.execute(sa.text("SELECT name, price FROM sqla_item WHERE price > :lo"
                                 " AND name <> :skip ORDER BY name"),
                         {"lo": 0.5, "skip": "nobody"})
        out["text_rows"] = [[n, str(p)] for n, p in r]
        n = conn.execute(sa.text("UPDATE sqla_item SET active = :a WHERE name = :n"),
                         {"a": True, "n": "pear"}).rowcount
        out["text_updated"] = n


def main():
    eng = engine()
    out = {}
    Base.metadata.drop_all(eng)
    Base.metadata.create_all(eng)
    for step in (step_connect, step_inspect, step_inspect_more, step_orm, step_text, step_alter,
                 step_alter_in_block):
        try:
            step(eng, out)
        except Exception as e:  # report the step and go on: the caller compares
            out[step.__name__ + "_error"] = "%s: %s" % (type(e).__name__, str(e).split("\n")[0])
    Base.metadata.drop_all(eng)
    json.dump(out, sys.stdout, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    main()
