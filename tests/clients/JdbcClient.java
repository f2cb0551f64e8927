// pgjdbc (Debian's libpostgresql-jdbc-java) as a Java application and the
// tools built on it (DBeaver, IntelliJ, Metabase) use it: PreparedStatement
// with setBigDecimal / setTimestamp / setBytes / setLong / setNull, a batch
// insert, a statement run past pgjdbc's prepareThreshold (5) so it becomes
// a named server-side statement with binary results, a transaction rolled
// back, and DatabaseMetaData getTables / getColumns / getPrimaryKeys.
//
// Connects with libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD,
// PGDATABASE) and prints one JSON object for the caller to compare with
// PostgreSQL's.  Compiled by the test into its temporary directory.
import java.math.BigDecimal;
import java.sql.*;
import java.util.*;

public class JdbcClient {
	private final StringBuilder out = new StringBuilder("{");

	private static String quote(Object v) {
		if (v == null)
			return "null";
		if (v instanceof Number || v instanceof Boolean)
			return v.toString();
		if (v instanceof List) {
			StringBuilder b = new StringBuilder("[");
			for (Object o : (List<?>)v)
				b.append(b.length() > 1 ? ", " : "").append(quote(o));
			return b.append("]").toString();
		}
		if (v instanceof byte[]) {
			StringBuilder b = new StringBuilder("\"\\\\x");
			for (byte x : (byte[])v)
				b.append(String.format("%02x", x));
			return b.append("\"").toString();
		}
		String s = v.toString().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
		return "\"" + s + "\"";
	}

	private void put(String key, Object value) {
		out.append(out.length() > 1 ? ",\n " : "\n ").append(quote(key)).append(": ").append(quote(value));
	}

	interface Step {
		Object run() throws SQLException;
	}

	private void step(String name, Step s) {
		try {
			put(name, s.run());
		} catch (SQLException e) {
			put(name + "_error", e.getSQLState() + " " + e.getMessage().split("\n")[0]);
		}
	}

	/** Every row of rs as a list of the named columns' values (getObject, as String). */
	private static List<Object> rows(ResultSet rs, String... cols) throws SQLException {
		List<Object> all = new ArrayList<>();
		while (rs.next()) {
			List<Object> row = new ArrayList<>();
			for (String c : cols) {
				Object v = rs.getObject(c);
				row.add(v == null ? null : v instanceof byte[] ? v : v.toString());
			}
			all.add(row);
		}
		rs.close();
		return all;
	}

	private void run(Connection c) throws SQLException {
		try (Statement st = c.createStatement()) {
			st.execute("SET TimeZone = 'UTC'");
			st.execute("DROP TABLE IF EXISTS jdbc_t");
			st.execute("CREATE TABLE jdbc_t (id bigint PRIMARY KEY, amount numeric(14,4) NOT NULL,"
				   + " at timestamp, atz timestamptz, data bytea, note varchar(30))");
		}
		step("prepared_insert", () -> {
			try (PreparedStatement ps = c.prepareStatement("INSERT INTO jdbc_t VALUES (?, ?, ?, ?, ?, ?)")) {
				ps.setLong(1, 1);
				ps.setBigDecimal(2, new BigDecimal("1234567890.1234"));
				ps.setTimestamp(3, Timestamp.valueOf("2024-02-29 23:59:58.123456"));
				ps.setTimestamp(4, Timestamp.valueOf("2001-09-09 01:46:40"),
						Calendar.getInstance(TimeZone.getTimeZone("UTC")));
				ps.setBytes(5, new byte[] {0, 1, (byte)255, 92});
				ps.setString(6, "first");
				int n = ps.executeUpdate();
				ps.setLong(1, 2);
				ps.setBigDecimal(2, new BigDecimal("-0.0001"));
				ps.setNull(3, Types.TIMESTAMP);
				ps.setNull(4, Types.TIMESTAMP_WITH_TIMEZONE);
				ps.setNull(5, Types.BINARY);
				ps.setNull(6, Types.VARCHAR);
				return n + ps.executeUpdate();
			}
		});
		step("batch_insert", () -> {
			try (PreparedStatement ps = c.prepareStatement(
				     "INSERT INTO jdbc_t (id, amount, note) VALUES (?, ?, ?)")) {
				for (int i = 10; i < 60; i++) {
					ps.setLong(1, i);
					ps.setBigDecimal(2, BigDecimal.valueOf(i).movePointLeft(2));
					ps.setString(3, "b" + i);
					ps.addBatch();
				}
				int sum = 0;
				for (int n : ps.executeBatch())
					sum += n;
				return sum;
			}
		});
		step("select_typed", () -> {
			try (PreparedStatement ps = c.prepareStatement(
				     "SELECT id, amount, at, atz, data, note FROM jdbc_t WHERE id < ? ORDER BY id")) {
				ps.setLong(1, 10);
				ResultSet rs = ps.executeQuery();
				List<Object> all = new ArrayList<>();
				while (rs.next()) {
					Timestamp at = rs.getTimestamp("at");
					Timestamp atz = rs.getTimestamp("atz", Calendar.getInstance(TimeZone.getTimeZone("UTC")));
					all.add(Arrays.asList(rs.getLong("id"), rs.getBigDecimal("amount").toPlainString(),
							      at == null ? null : at.toString(),
							      atz == null ? null : atz.toInstant().toString(), rs.getBytes("data"),
							      rs.getString("note")));
				}
				return all;
			}
		});
		// prepareThreshold: from the 5th execution on pgjdbc uses a named
		// statement and asks for binary results of the types it can decode
		step("server_prepared", () -> {
			List<Object> got = new ArrayList<>();
			try (PreparedStatement ps = c.prepareStatement(
				     "SELECT id, amount, note, at FROM jdbc_t WHERE amount >= ? AND id = ?")) {
				for (int i = 0; i < 8; i++) {
					ps.setBigDecimal(1, new BigDecimal("0.05"));
					ps.setLong(2, 10 + i * 5);
					got.add(rows(ps.executeQuery(), "id", "amount", "note", "at"));
				}
			}
			return got;
		});
		step("sum_in_txn_rolled_back", () -> {
			c.setAutoCommit(false);
			try (Statement st = c.createStatement()) {
				st.executeUpdate("DELETE FROM jdbc_t WHERE id >= 10");
				c.rollback();
			} finally {
				c.setAutoCommit(true);
			}
			try (Statement st = c.createStatement();
			     ResultSet rs = st.executeQuery("SELECT count(*), sum(amount) FROM jdbc_t")) {
				rs.next();
				return Arrays.asList(rs.getLong(1), rs.getBigDecimal(2).toPlainString());
			}
		});
		DatabaseMetaData md = c.getMetaData();
		step("meta_tables", () -> rows(md.getTables(null, "public", "jdbc_%", new String[] {"TABLE"}),
					      "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE"));
		step("meta_columns", () -> rows(md.getColumns(null, "public", "jdbc_t", "%"), "COLUMN_NAME",
					       "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE", "DECIMAL_DIGITS",
					       "NULLABLE", "ORDINAL_POSITION", "IS_NULLABLE", "IS_AUTOINCREMENT"));
		step("meta_pk", () -> rows(md.getPrimaryKeys(null, "public", "jdbc_t"), "TABLE_NAME", "COLUMN_NAME",
					  "KEY_SEQ", "PK_NAME"));
		step("meta_index_info", () -> rows(md.getIndexInfo(null, "public", "jdbc_t", false, false), "TABLE_NAME",
						  "NON_UNIQUE", "INDEX_NAME", "TYPE", "ORDINAL_POSITION", "COLUMN_NAME",
						  "ASC_OR_DESC"));
		step("meta_imported_keys", () -> rows(md.getImportedKeys(null, "public", "jdbc_t"), "FKCOLUMN_NAME"));
		step("meta_catalog_types", () -> {
			List<Object> t = rows(md.getTableTypes(), "TABLE_TYPE");
			return Arrays.asList(t.contains(Arrays.asList("TABLE")), t.contains(Arrays.asList("VIEW")));
		});
		step("result_set_metadata", () -> {
			try (PreparedStatement ps = c.prepareStatement("SELECT id, amount, at, data, note FROM jdbc_t WHERE id = ?")) {
				ps.setLong(1, 1);
				ResultSetMetaData rm = ps.executeQuery().getMetaData();
				List<Object> all = new ArrayList<>();
				for (int i = 1; i <= rm.getColumnCount(); i++)
					all.add(Arrays.asList(rm.getColumnName(i), rm.getColumnTypeName(i), rm.getColumnType(i),
							      rm.getPrecision(i), rm.getScale(i), rm.isNullable(i), rm.getTableName(i),
							      rm.isAutoIncrement(i)));
				return all;
			}
		});
		step("set_object", () -> {
			try (PreparedStatement ps = c.prepareStatement(
				     "SELECT ?::timestamptz, ?::date, ?::numeric + 1, ?::int8, ?::bool")) {
				ps.setObject(1, java.time.OffsetDateTime.parse("2024-05-06T07:08:09.123+02:00"));
				ps.setObject(2, java.time.LocalDate.parse("2024-02-29"));
				ps.setObject(3, new BigDecimal("99.995"));
				ps.setObject(4, 5000000000L);
				ps.setObject(5, Boolean.TRUE);
				ResultSet rs = ps.executeQuery();
				rs.next();
				return Arrays.asList(rs.getObject(1, java.time.OffsetDateTime.class).toInstant().toString(),
						     rs.getObject(2, java.time.LocalDate.class).toString(),
						     rs.getBigDecimal(3).toPlainString(), rs.getLong(4), rs.getBoolean(5));
			}
		});
		step("meta_schemas", () -> {
			List<Object> s = rows(md.getSchemas(), "TABLE_SCHEM");
			return s.contains(Arrays.asList("public"));
		});
		step("meta_product", () -> md.getDatabaseProductName() + " " + md.getDatabaseMajorVersion());
		try (Statement st = c.createStatement()) {
			st.execute("DROP TABLE jdbc_t");
		}
	}

	public static void main(String[] args) throws SQLException {
		Map<String, String> env = System.getenv();
		String url = "jdbc:postgresql://" + env.get("PGHOST") + ":" + env.get("PGPORT") + "/" + env.get("PGDATABASE");
		Properties p = new Properties();
		p.setProperty("user", env.get("PGUSER"));
		if (env.get("PGPASSWORD") != null)
			p.setProperty("password", env.get("PGPASSWORD"));
		JdbcClient client = new JdbcClient();
		try (Connection c = DriverManager.getConnection(url, p)) {
			client.run(c);
		}
		System.out.println(client.out.append("\n}"));
	}
}
