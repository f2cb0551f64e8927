// pgx v4 (Debian's golang-github-jackc-pgx-v4-dev) in its default mode: the
// extended protocol, a statement cache (each query prepared once, then
// run by name), binary parameters and binary results for every type it
// knows.  QueryRow, Exec, Query, a transaction committed and one rolled
// back, a Batch, and CopyFrom (COPY … FROM STDIN (FORMAT binary)).
//
// Connects with libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD,
// PGDATABASE; pgconn reads it) and prints one JSON object for the caller
// to compare with PostgreSQL's.  Built by the test with GO111MODULE=off
// against /usr/share/gocode.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgconn"
	"github.com/jackc/pgx/v4"
)

var ctx = context.Background()

type result map[string]interface{}

func (out result) step(name string, f func() (interface{}, error)) {
	v, err := f()
	if err != nil {
		code := ""
		if pe, ok := err.(*pgconn.PgError); ok {
			code = pe.Code + " "
		}
		out[name+"_error"] = code + err.Error()
		return
	}
	out[name] = v
}

// collect reads every row as a list of its values, formatted with %v and
// their Go type, so a type change shows as a difference.
func collect(rows pgx.Rows) (interface{}, error) {
	var all [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		row := []string{}
		for _, v := range vals {
			if t, ok := v.(time.Time); ok {
				v = t.UTC().Format(time.RFC3339Nano)
			}
			row = append(row, fmt.Sprintf("%T %v", v, v))
		}
		all = append(all, row)
	}
	return all, rows.Err()
}

func run(conn *pgx.Conn, out result) error {
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS pgx_t"); err != nil {
		return err
	}
	_, err := conn.Exec(ctx, `CREATE TABLE pgx_t (id int8 PRIMARY KEY, n int4, f float8,
		amount numeric(12,2), at timestamptz, d date, ok bool, blob bytea, name text)`)
	if err != nil {
		return err
	}
	at := time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC)
	day := time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC)
	out.step("exec_insert", func() (interface{}, error) {
		n := int64(0)
		for i := int64(1); i <= 3; i++ {
			tag, err := conn.Exec(ctx, "INSERT INTO pgx_t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
				i, int32(i*10), float64(i)/3, fmt.Sprintf("%d.25", i), at.Add(time.Duration(i)*time.Hour),
				day.AddDate(0, 0, int(i)), i%2 == 0, []byte{byte(i), 0, 255}, fmt.Sprintf("row %d", i))
			if err != nil {
				return nil, err
			}
			n += tag.RowsAffected()
		}
		tag, err := conn.Exec(ctx, "INSERT INTO pgx_t (id) VALUES ($1)", int64(4))
		if err != nil {
			return nil, err
		}
		return n + tag.RowsAffected(), nil
	})
	out.step("query_row", func() (interface{}, error) {
		var name string
		var f float64
		var when time.Time
		var blob []byte
		err := conn.QueryRow(ctx, "SELECT name, f, at, blob FROM pgx_t WHERE id = $1", int64(2)).
			Scan(&name, &f, &when, &blob)
		return []interface{}{name, f, when.UTC().Format(time.RFC3339Nano), blob}, err
	})
	out.step("query_row_again", func() (interface{}, error) {
		// the cached statement, run by name with other parameters
		var name *string
		err := conn.QueryRow(ctx, "SELECT name, f, at, blob FROM pgx_t WHERE id = $1", int64(4)).
			Scan(&name, nil, nil, nil)
		return name, err
	})
	out.step("query_all", func() (interface{}, error) {
		rows, err := conn.Query(ctx, "SELECT * FROM pgx_t WHERE id >= $1 ORDER BY id", int64(0))
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return collect(rows)
	})
	out.step("tx_commit", func() (interface{}, error) {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "UPDATE pgx_t SET n = n + $1 WHERE id <= $2", int32(5), int64(2)); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM pgx_t WHERE id = $1", int64(4)); err != nil {
			return nil, err
		}
		if err := tx.Commit(ctx); err != nil {
			return nil, err
		}
		var sum, count int64
		err = conn.QueryRow(ctx, "SELECT sum(n), count(*) FROM pgx_t").Scan(&sum, &count)
		return []int64{sum, count}, err
	})
	out.step("tx_rollback", func() (interface{}, error) {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM pgx_t"); err != nil {
			return nil, err
		}
		if err := tx.Rollback(ctx); err != nil {
			return nil, err
		}
		var count int64
		err = conn.QueryRow(ctx, "SELECT count(*) FROM pgx_t").Scan(&count)
		return count, err
	})
	out.step("batch", func() (interface{}, error) {
		b := &pgx.Batch{}
		b.Queue("INSERT INTO pgx_t (id, name) VALUES ($1, $2)", int64(50), "batched")
		b.Queue("SELECT name FROM pgx_t WHERE id = $1", int64(50))
		br := conn.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return nil, err
		}
		var name string
		err := br.QueryRow().Scan(&name)
		return name, err
	})
	out.step("copy_from", func() (interface{}, error) {
		rows := [][]interface{}{}
		for i := int64(100); i < 300; i++ {
			var amount interface{} = float64(i) + 0.5 // a Go string is sent as text: not in binary COPY
			if i%10 == 0 {
				amount = nil
			}
			rows = append(rows, []interface{}{i, int32(i), float64(i) / 8, amount,
				at.Add(time.Duration(i) * time.Minute), day.AddDate(0, 0, int(i)), i%3 == 0,
				[]byte{byte(i)}, fmt.Sprintf("copied\t%d", i)})
		}
		n, err := conn.CopyFrom(ctx, pgx.Identifier{"pgx_t"},
			[]string{"id", "n", "f", "amount", "at", "d", "ok", "blob", "name"}, pgx.CopyFromRows(rows))
		if err != nil {
			return nil, err
		}
		var count, sumn int64
		var total string
		err = conn.QueryRow(ctx, "SELECT count(*), sum(n), sum(amount)::text FROM pgx_t WHERE id >= 100").
			Scan(&count, &sumn, &total)
		return []interface{}{n, count, sumn, total}, err
	})
	out.step("copied_rows", func() (interface{}, error) {
		rows, err := conn.Query(ctx, "SELECT * FROM pgx_t WHERE id IN (100, 101, 299) ORDER BY id")
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return collect(rows)
	})
	_, err = conn.Exec(ctx, "DROP TABLE pgx_t")
	return err
}

func main() {
	conn, err := pgx.Connect(ctx, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgx connect:", err)
		os.Exit(1)
	}
	defer conn.Close(ctx)
	out := result{}
	if err := run(conn, out); err != nil {
		fmt.Fprintln(os.Stderr, "pgx:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	enc.Encode(out)
}
