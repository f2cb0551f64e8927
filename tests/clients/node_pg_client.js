// node-postgres (npm's pg, or Debian's node-pg): parameterized queries
// (extended protocol, text parameters), a transaction committed and one
// rolled back, and the types an application meets: int8, numeric,
// timestamptz, bytea, bool and NULL, in and out.
//
// Connects with libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD,
// PGDATABASE, which pg reads itself) and prints one JSON object for the
// caller to compare with PostgreSQL's.
'use strict';
const { Client } = require('pg');

function show(v) {
  // JSON-able, type visible: Buffers as hex, Dates as ISO instants
  if (v === null) return null;
  if (Buffer.isBuffer(v)) return { bytea: v.toString('hex') };
  if (v instanceof Date) return { date: v.toISOString() };
  return v;
}

async function step(out, name, fn) {
  try {
    out[name] = await fn();
  } catch (e) {
    out[name + '_error'] = (e.code || '') + ' ' + e.message;
  }
}

async function main() {
  const c = new Client();
  await c.connect();
  const out = {};
  await c.query('SET TimeZone = \'UTC\'');
  await c.query('DROP TABLE IF EXISTS npg_t');
  await c.query('CREATE TABLE npg_t (id int8 PRIMARY KEY, amount numeric(12,3), at timestamptz,' +
                ' blob bytea, ok bool, note text)');
  const rows = [
    ['9007199254740993', '12345.678', new Date('2024-02-29T23:59:59.123Z'),
     Buffer.from([0, 1, 255, 92]), true, 'first'],
    ['-42', '-0.001', new Date('1970-01-01T00:00:00Z'), Buffer.alloc(0), false, null],
    ['3', null, null, null, null, 'nulls'],
  ];
  await step(out, 'insert', async () => {
    let n = 0;
    for (const r of rows) {
      n += (await c.query('INSERT INTO npg_t VALUES ($1, $2, $3, $4, $5, $6)', r)).rowCount;
    }
    return n;
  });
  await step(out, 'select_all', async () => {
    const r = await c.query('SELECT * FROM npg_t ORDER BY id');
    return { fields: r.fields.map((f) => [f.name, f.dataTypeID]),
             rows: r.rows.map((row) => Object.values(row).map(show)) };
  });
  await step(out, 'select_param', async () => {
    const r = await c.query({ text: 'SELECT id, ok FROM npg_t WHERE amount > $1 AND at < $2' +
                                    ' ORDER BY id', values: ['-1', new Date('2030-01-01Z')],
                              rowMode: 'array' });
    return r.rows;
  });
  await step(out, 'named_prepared', async () => {
    const got = [];
    for (const id of ['3', '-42']) {
      const r = await c.query({ name: 'by_id', text: 'SELECT note, blob FROM npg_t WHERE id = $1',
                                values: [id] });
      got.push(r.rows.map((row) => [row.note, show(row.blob)]));
    }
    return got;
  });
  await step(out, 'txn_commit', async () => {
    await c.query('BEGIN');
    await c.query('INSERT INTO npg_t (id, note) VALUES ($1, $2)', ['100', 'in txn']);
    await c.query('UPDATE npg_t SET ok = $1 WHERE id = $2', [true, '100']);
    await c.query('COMMIT');
    return (await c.query('SELECT ok, note FROM npg_t WHERE id = 100')).rows;
  });
  await step(out, 'txn_rollback', async () => {
    await c.query('BEGIN');
    await c.query('DELETE FROM npg_t WHERE id = $1', ['100']);
    await c.query('INSERT INTO npg_t (id) VALUES ($1)', ['101']);
    await c.query('ROLLBACK');
    return (await c.query('SELECT id FROM npg_t WHERE id >= 100 ORDER BY id')).rows;
  });
  await step(out, 'txn_after_failure', async () => {
    await c.query('BEGIN');
    let err = null;
    try {
      await c.query('INSERT INTO npg_t (id) VALUES ($1)', ['100']);
    } catch (e) {
      err = e.code;
    }
    let after = null;
    try {
      await c.query('SELECT 1');
    } catch (e) {
      after = e.code;
    }
    await c.query('ROLLBACK');
    return [err, after];
  });
  await step(out, 'literals', async () => {
    const r = await c.query('SELECT $1::int8 + 1 AS a, $2::numeric * 2 AS b,' +
                            ' $3::bytea AS c, $4::bool AS d, $5::text IS NULL AS e,' +
                            ' $6::timestamptz AS f', ['41', '1.05', Buffer.from('hi'), 'true',
                                                       null, '2024-06-01 12:00:00+02']);
    return Object.values(r.rows[0]).map(show);
  });
  await c.query('DROP TABLE npg_t');
  await c.end();
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

main().catch((e) => {
  process.stderr.write('node-postgres: ' + (e.code || '') + ' ' + e.stack + '\n');
  process.exit(1);
});
