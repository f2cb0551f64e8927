"""The password of the superuser ``murphy`` in every murphy a test or bench
script starts, and of every client it connects.

A leader authenticates clients with SCRAM-SHA-256 by default (``--auth
scram``) and creates the superuser at its first start with the password
of ``$MURPHY_PASSWORD`` (``murphy local start`` passes its own on to the
leader and logs in with it).  Setting both variables here, before any
process starts, lets every fixture, bench and nemesis script start
clusters and connect with psycopg2, psql and pgbench (libpq reads
``$PGPASSWORD``) without passing a password around.  The reference
PostgreSQL (pgserver.py) trusts every connection and ignores it.

Imported for its effect by pgserver.py, which every such script imports.
"""
import os

TEST_PASSWORD = "murphy-test-password"

os.environ.setdefault("MURPHY_PASSWORD", TEST_PASSWORD)
os.environ["PGPASSWORD"] = os.environ["MURPHY_PASSWORD"]
PASSWORD = os.environ["MURPHY_PASSWORD"]
