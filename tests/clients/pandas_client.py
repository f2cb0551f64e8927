"""pandas 1.5 (Debian's python3-pandas) over SQLAlchemy 1.4: DataFrame.to_sql
creates its table (pandas' own CREATE TABLE after its own has_table
check) and inserts in batches, read_sql reads it back, by table name and
by query with parameters.

Connects with libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD,
PGDATABASE) and prints one JSON object for the caller to compare with
PostgreSQL's.
"""
import datetime
import json
import os
import sys

import pandas as pd
import sqlalchemy as sa


def engine():
    url = sa.engine.URL.create("postgresql+psycopg2", username=os.environ["PGUSER"],
                               password=os.environ.get("PGPASSWORD"),
                               host=os.environ["PGHOST"], port=int(os.environ["PGPORT"]),
                               database=os.environ["PGDATABASE"])
    return sa.create_engine(url)


def frame():
    n = 250
    return pd.DataFrame({
        "id": range(n),
        "name": ["n%03d" % i if i % 9 else None for i in range(n)],
        "score": [i / 4 for i in range(n)],
        "big": [i * 10**12 for i in range(n)],
        "flag": [i % 3 == 0 for i in range(n)],
        "at": [datetime.datetime(2024, 1, 1) + datetime.timedelta(hours=i) for i in range(n)],
    })


def describe(df):
    """A frame as JSON-able rows plus its dtypes."""
    return {"dtypes": [str(t) for t in df.dtypes],
            "columns": list(df.columns),
            "rows": json.loads(df.to_json(orient="values", date_format="iso", double_precision=15))}


def main():
    eng = engine()
    out = {}
    with eng.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS pd_frame"))
    df = frame()
    try:
        out["to_sql"] = df.to_sql("pd_frame", eng, index=False, chunksize=100)
        # if_exists="append" goes through has_table and the inserts again
        df.head(5).assign(id=lambda d: d.id + 1000).to_sql("pd_frame", eng, index=False,
                                                           if_exists="append")
        back = pd.read_sql("pd_frame", eng).sort_values("id").reset_index(drop=True)
        out["read_table"] = describe(back)
        q = pd.read_sql(sa.text("SELECT id, name, score FROM pd_frame WHERE score >= :lo"
                                " AND flag ORDER BY id"), eng, params={"lo": 40})
        out["read_query"] = describe(q)
        agg = pd.read_sql("SELECT flag, count(*) AS n, sum(big) AS s FROM pd_frame"
                          " GROUP BY flag ORDER BY flag", eng)
        out["read_agg"] = describe(agg)
        out["round_trip_equal"] = bool(back.head(len(df)).equals(df))
    except Exception as e:
        out["error"] = "%s: %s" % (type(e).__name__, str(e).split("\n")[0])
    with eng.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS pd_frame"))
    json.dump(out, sys.stdout, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    main()
