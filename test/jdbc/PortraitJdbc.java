// What a BI tool sees of pg_portrait through the PostgreSQL JDBC driver, as the
// read-only role portrait_bi of test/jdbc.sh: catalog metadata and comments of
// the generated views and the BI-facing functions, the JDBC type of every
// column, prepared statements, a streamed 1,000,000-row member list and
// statement timeouts.  Prints TAP lines; the URL is the only argument.

import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

public class PortraitJdbc
{
	static int n = 0;
	static int failed = 0;

	// JDBC types a BI tool charts or filters on: numbers, text, dates and times, booleans
	static final Set<Integer> CHARTABLE = Set.of(Types.BIGINT, Types.INTEGER, Types.SMALLINT, Types.DOUBLE,
		Types.REAL, Types.NUMERIC, Types.DECIMAL, Types.VARCHAR, Types.CHAR, Types.LONGVARCHAR, Types.DATE,
		Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE, Types.BIT, Types.BOOLEAN);

	static final String[] VIEWS = {"shop_profile_clusters", "shop_profile_migration", "shop_profile_segments"};

	// the functions doc/bi-tools.md lists as read by BI tools, each with a query as a BI tool writes it
	static final String[][] FUNCTIONS = {
		{"funnel_table", "SELECT f.* FROM (SELECT portrait.funnel_counts(level, 3) AS users FROM"
			+ " (SELECT uid, portrait.window_funnel('1 day', ts, name = 'view', name = 'cart', name = 'pay') AS level"
			+ " FROM events GROUP BY uid) u) c, portrait.funnel_table(c.users) f ORDER BY step"},
		{"cohort_matrix", "SELECT * FROM portrait.cohort_matrix('events', 'uid', 'ts', 'week', 3) ORDER BY 1, 2"},
		{"tgi_table", "SELECT t.* FROM (SELECT portrait.tgi(segment = 'Champions', jsonb_build_object('region', region, 'age', age)) AS p"
			+ " FROM attrs) s, portrait.tgi_table(s.p) t ORDER BY attribute, value"},
		{"kmeans_centroids", "SELECT c.cluster, c.size, c.share, c.centroid[1] AS r, c.centroid[2] AS f, c.label"
			+ " FROM models m, portrait.kmeans_centroids(m.model) c WHERE m.name = 'segments' ORDER BY 1"},
		{"logit_coefficients", "SELECT c.* FROM models m, portrait.logit_coefficients(m.model) c WHERE m.name = 'churn'"},
		{"rfm_summary", "SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31')).*"
			+ " FROM orders GROUP BY customer_id ORDER BY customer_id"},
		{"model_kind", "SELECT name, portrait.model_kind(model) AS kind, model::jsonb ->> 'kind' AS kind_from_json,"
			+ " (model::jsonb ->> 'n')::bigint AS n FROM models ORDER BY name"},
	};

	static void check(String name, Object want, Object got)
	{
		n++;
		if (Objects.equals(want, got))
			System.out.println("ok " + n + " - " + name);
		else
		{
			failed++;
			System.out.println("not ok " + n + " - " + name);
			System.out.println("#   got: " + got);
			System.out.println("#  want: " + want);
		}
	}

	// SQLSTATE of running sql (null when it succeeds)
	static String sqlstate(Statement st, String sql)
	{
		try
		{
			st.execute(sql);
			return null;
		}
		catch (SQLException e)
		{
			return e.getSQLState();
		}
	}

	static List<String> column(Connection c, String sql) throws SQLException
	{
		List<String> out = new ArrayList<>();
		try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql))
		{
			while (rs.next())
				out.add(rs.getString(1));
		}
		return out;
	}

	// "name:TYPE" of every column of a result that a BI tool could not chart, empty when all can
	static List<String> unchartable(ResultSetMetaData md) throws SQLException
	{
		List<String> bad = new ArrayList<>();
		for (int i = 1; i <= md.getColumnCount(); i++)
			if (!CHARTABLE.contains(md.getColumnType(i)))
				bad.add(md.getColumnLabel(i) + ":" + md.getColumnTypeName(i) + "/" + md.getColumnType(i));
		return bad;
	}

	// rows of a query, and any value that getObject does not give as a number, text, date or boolean
	static int readAll(Connection c, String sql, List<String> bad) throws SQLException
	{
		int rows = 0;
		try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql))
		{
			bad.addAll(unchartable(rs.getMetaData()));
			while (rs.next())
			{
				rows++;
				for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++)
				{
					Object v = rs.getObject(i);
					if (v != null && !(v instanceof Number || v instanceof String || v instanceof java.util.Date
						|| v instanceof Boolean))
						bad.add(rs.getMetaData().getColumnLabel(i) + "=" + v.getClass().getName());
				}
			}
		}
		return rows;
	}

	public static void main(String[] args) throws Exception
	{
		String url = args[0];
		try (Connection c = DriverManager.getConnection(url))
		{
			metadata(c);
			views(c);
			functions(c);
			composites(c);
			prepared(c);
			streaming(c);
			timeouts(c, url);
		}
		System.out.println("1.." + n);
		System.exit(failed == 0 ? 0 : 1);
	}

	static void metadata(Connection c) throws SQLException
	{
		try (Statement st = c.createStatement())
		{
			check("connected as the BI role", "portrait_bi", c.getMetaData().getUserName());
			check("the BI role cannot write (25006)", "25006", sqlstate(st, "CREATE TABLE scratch (a int)"));
		}
		DatabaseMetaData md = c.getMetaData();
		Map<String, String> remarks = new TreeMap<>();
		try (ResultSet rs = md.getTables(null, "public", "shop\\_profile\\_%", new String[] {"VIEW"}))
		{
			while (rs.next())
				remarks.put(rs.getString("TABLE_NAME"), rs.getString("REMARKS"));
		}
		check("DatabaseMetaData.getTables lists the three generated views", List.of(VIEWS), new ArrayList<>(remarks.keySet()));
		Map<String, String> comments = new TreeMap<>();
		try (Statement st = c.createStatement();
			 ResultSet rs = st.executeQuery("SELECT relname, obj_description(oid, 'pg_class') FROM pg_class"
				 + " WHERE relname LIKE 'shop\\_profile\\_%' AND relkind = 'v'"))
		{
			while (rs.next())
				comments.put(rs.getString(1), rs.getString(2));
		}
		check("each view's REMARKS is its COMMENT", comments, remarks);
		check("every view has a comment", false, remarks.containsValue(null));

		Map<String, String> colRemarks = new TreeMap<>();
		List<String> badTypes = new ArrayList<>();
		List<String> segmentCols = new ArrayList<>();
		try (ResultSet rs = md.getColumns(null, "public", "shop\\_profile\\_%", "%"))
		{
			while (rs.next())
			{
				String key = rs.getString("TABLE_NAME") + "." + rs.getString("COLUMN_NAME");
				colRemarks.put(key, rs.getString("REMARKS"));
				if (!CHARTABLE.contains(rs.getInt("DATA_TYPE")))
					badTypes.add(key + ":" + rs.getString("TYPE_NAME"));
				if (rs.getString("TABLE_NAME").equals("shop_profile_segments"))
					segmentCols.add(rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME"));
			}
		}
		Map<String, String> colComments = new TreeMap<>();
		try (Statement st = c.createStatement();
			 ResultSet rs = st.executeQuery("SELECT c.relname || '.' || a.attname, col_description(c.oid, a.attnum)"
				 + " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
				 + " WHERE c.relname LIKE 'shop\\_profile\\_%' AND c.relkind = 'v'"))
		{
			while (rs.next())
				colComments.put(rs.getString(1), rs.getString(2));
		}
		check("getColumns lists every column of the views", colComments.keySet(), colRemarks.keySet());
		check("each column's REMARKS is its COMMENT", colComments, colRemarks);
		check("every view column has a comment", false, colRemarks.containsValue(null));
		check("every view column has a chartable JDBC type (no Types.OTHER)", List.of(), badTypes);
		check("the segment overview's columns and types as getColumns gives them",
			List.of("segment text", "customers int8", "share float8", "revenue numeric", "avg_recency_days float8",
				"avg_frequency float8", "avg_monetary numeric", "avg_churn_risk float8", "avg_clv numeric"), segmentCols);

		// the functions, as DBeaver's navigator shows them (getFunctions lists no aggregates)
		for (String[] f : FUNCTIONS)
		{
			if (f[0].equals("rfm_summary"))
				continue;
			List<String> fr = new ArrayList<>();
			try (ResultSet rs = md.getFunctions(null, "portrait", f[0]))
			{
				while (rs.next())
					fr.add(rs.getString("REMARKS"));
			}
			List<String> fc = column(c, "SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc p"
				+ " WHERE p.pronamespace = 'portrait'::regnamespace AND p.prokind = 'f' AND p.proname = '" + f[0] + "'");
			check("getFunctions finds portrait." + f[0] + " with its COMMENT as REMARKS",
				fc.stream().sorted().toList(), fr.stream().sorted().toList());
		}
	}

	static void views(Connection c) throws SQLException
	{
		for (String v : VIEWS)
		{
			List<String> bad = new ArrayList<>();
			int rows = readAll(c, "SELECT * FROM " + v, bad);
			check("SELECT * FROM " + v + " gives rows of chartable columns and values", "rows, []",
				(rows > 0 ? "rows" : "no rows") + ", " + bad);
		}
		check("the segment overview leaves small groups out, Chinese names intact", List.of("big 30", "中等价值客户 10"),
			column(c, "SELECT segment || ' ' || customers FROM shop_profile_segments ORDER BY customers DESC"));
		check("the migration of the last run", List.of("big big 30", "big 中等价值客户 10"),
			column(c, "SELECT from_segment || ' ' || to_segment || ' ' || customers FROM shop_profile_migration ORDER BY customers DESC"));
		List<String> bad = new ArrayList<>();
		int rows = readAll(c, "SELECT run_id, target, started_at, finished_at, inserted, updated, deleted, unchanged, status"
			+ ", key_column FROM portrait.profile_run ORDER BY run_id", bad);
		check("the run table's columns are chartable, and the BI role sees the runs of the profile it reads",
			"2, []", rows + ", " + bad);
	}

	static void functions(Connection c) throws SQLException
	{
		for (String[] f : FUNCTIONS)
		{
			List<String> bad = new ArrayList<>();
			int rows;
			try
			{
				rows = readAll(c, f[1], bad);
			}
			catch (SQLException e)
			{
				rows = 0;
				bad.add(e.getSQLState() + " " + e.getMessage());
			}
			check("portrait." + f[0] + " as a BI tool queries it: rows of chartable columns and values", "rows, []",
				(rows > 0 ? "rows" : "no rows") + ", " + bad);
		}
		check("the funnel's steps", List.of("1 200", "2 134", "3 67"),
			column(c, "SELECT step || ' ' || users FROM (" + FUNCTIONS[0][1] + ") f"));
	}

	// composite values and portrait.model, as doc/bi-tools.md describes them
	static void composites(Connection c) throws SQLException
	{
		try (Statement st = c.createStatement())
		{
			try (ResultSet rs = st.executeQuery("SELECT portrait.rfm_summary(ordered_at, amount, timestamptz '2024-12-31') AS s"
				+ " FROM orders WHERE customer_id = 1 GROUP BY customer_id"))
			{
				rs.next();
				ResultSetMetaData md = rs.getMetaData();
				check("an unexpanded composite is Types.STRUCT named by its type, a PGobject holding the row literal",
					Types.STRUCT + " \"portrait\".\"rfm_summary\" PGobject (", md.getColumnType(1) + " " + md.getColumnTypeName(1)
						+ " " + rs.getObject(1).getClass().getSimpleName() + " " + rs.getString(1).substring(0, 1));
			}
			try (ResultSet rs = st.executeQuery("SELECT model, model::jsonb AS j, model::jsonb::text AS t,"
				+ " model::jsonb ->> 'kind' AS kind FROM models WHERE name = 'churn'"))
			{
				rs.next();
				ResultSetMetaData md = rs.getMetaData();
				check("portrait.model is Types.OTHER (model), ::jsonb Types.OTHER (jsonb), ::jsonb::text and ->> VARCHAR",
					List.of(Types.OTHER + " \"portrait\".\"model\"", Types.OTHER + " jsonb", Types.VARCHAR + " text", Types.VARCHAR + " text"),
					List.of(md.getColumnType(1) + " " + md.getColumnTypeName(1), md.getColumnType(2) + " " + md.getColumnTypeName(2),
						md.getColumnType(3) + " " + md.getColumnTypeName(3), md.getColumnType(4) + " " + md.getColumnTypeName(4)));
				check("a model's getString is its JSON text form", "{ logit",
					rs.getString(1).substring(0, 1) + " " + rs.getString("kind"));
			}
			try (ResultSet rs = st.executeQuery("SELECT c.centroid FROM models m, portrait.kmeans_centroids(m.model) c"
				+ " WHERE m.name = 'segments' ORDER BY c.cluster LIMIT 1"))
			{
				rs.next();
				Array a = rs.getArray(1);
				Object[] values = (Object[]) a.getArray();
				check("a float8[] column is Types.ARRAY of Double (index it, e.g. centroid[1], to chart it)",
					Types.ARRAY + " float8 2 Double", rs.getMetaData().getColumnType(1) + " " + a.getBaseTypeName()
						+ " " + values.length + " " + values[0].getClass().getSimpleName());
			}
		}
	}

	static void prepared(Connection c) throws SQLException
	{
		// past the driver's prepareThreshold (5) the statement is prepared on the server: same answers
		List<String> seen = new ArrayList<>();
		try (PreparedStatement ps = c.prepareStatement(
			"SELECT segment, customers FROM shop_profile_segments WHERE customers >= ? AND segment <> ? ORDER BY segment"))
		{
			for (int i = 0; i < 8; i++)
			{
				ps.setLong(1, 20);
				ps.setString(2, "中等价值客户");
				try (ResultSet rs = ps.executeQuery())
				{
					StringBuilder sb = new StringBuilder();
					while (rs.next())
						sb.append(rs.getString(1)).append(' ').append(rs.getLong(2));
					seen.add(sb.toString());
				}
			}
		}
		check("a prepared filter on a view, 8 runs (server-side prepared after 5)", "[big 30]",
			seen.stream().distinct().toList().toString());

		seen.clear();
		try (PreparedStatement ps = c.prepareStatement(
			"SELECT count(*), sum(active_users) FROM portrait.cohort_matrix('events', 'uid', 'ts', ?, ?)"))
		{
			for (int i = 0; i < 8; i++)
			{
				ps.setString(1, "week");
				ps.setInt(2, 3);
				try (ResultSet rs = ps.executeQuery())
				{
					rs.next();
					seen.add(rs.getLong(1) + " " + rs.getLong(2));
				}
			}
		}
		List<String> literal = column(c, "SELECT count(*) || ' ' || sum(active_users) FROM portrait.cohort_matrix('events', 'uid', 'ts', 'week', 3)");
		check("cohort_matrix with its period and periods as parameters, 8 runs", literal, seen.stream().distinct().toList());

		seen.clear();
		try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM members WHERE segment = ? AND joined >= ?"))
		{
			for (int i = 0; i < 8; i++)
			{
				ps.setString(1, "Champions");
				ps.setDate(2, Date.valueOf("2024-12-01"));
				try (ResultSet rs = ps.executeQuery())
				{
					rs.next();
					seen.add(rs.getString(1));
				}
			}
		}
		check("a date parameter filters the member list, 8 runs",
			column(c, "SELECT count(*) FROM members WHERE segment = 'Champions' AND joined >= date '2024-12-01'"),
			seen.stream().distinct().toList());
	}

	// The member list of a segment, 1,000,000 rows, read with a fetch size: the
	// driver streams it only in a transaction (autocommit off) through a portal.
	// That it streams is checked by the open portal while reading, and by the
	// heap of 64 MB the rows would not fit in.
	static void streaming(Connection c) throws SQLException
	{
		List<String> expected = column(c, "SELECT count(*) || ' ' || sum(customer_id) FROM members WHERE segment = 'Champions'");
		c.setAutoCommit(false);
		long rows = 0, sum = 0, portals = -1;
		String error = null;
		try (PreparedStatement ps = c.prepareStatement("SELECT customer_id, segment, joined FROM members WHERE segment = ?"))
		{
			ps.setFetchSize(1000);
			ps.setString(1, "Champions");
			try (ResultSet rs = ps.executeQuery())
			{
				while (rs.next())
				{
					if (rows == 0)
					{
						try (Statement st = c.createStatement();
							 ResultSet p = st.executeQuery("SELECT count(*) FROM pg_cursors WHERE statement LIKE '%joined ' || 'FROM members%'"))
						{
							p.next();
							portals = p.getLong(1);
						}
					}
					rows++;
					sum += rs.getLong(1);
				}
			}
		}
		catch (SQLException | OutOfMemoryError e)
		{
			error = e.toString();
		}
		c.commit();
		c.setAutoCommit(true);
		check("the 1,000,000-row member list is read in full with setFetchSize(1000) in a 64 MB heap",
			expected + " null", List.of(rows + " " + sum) + " " + error);
		check("while it is read, the rows come through an open portal (the driver streams)", 1L, portals);
		check("the heap is bounded as the test means it to be", true, Runtime.getRuntime().maxMemory() <= 80L * 1024 * 1024);
	}

	static final String LONG_QUERY = "SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b"
		+ " WHERE portrait.lifecycle_stage(a, a + b) = 'none'";

	static void timeouts(Connection c, String url) throws SQLException
	{
		try (Statement st = c.createStatement())
		{
			st.execute("SET statement_timeout = '300ms'");
			check("statement_timeout stops a long query with 57014", "57014", sqlstate(st, LONG_QUERY));
			st.execute("RESET statement_timeout");
			check("the connection works after the timeout", List.of("1"), column(c, "SELECT 1"));

			// Statement.setQueryTimeout: the driver sends a cancel request when the time is up
			st.setQueryTimeout(1);
			check("setQueryTimeout cancels a long query with 57014", "57014", sqlstate(st, LONG_QUERY));
			st.setQueryTimeout(0);
		}
		check("the connection works after the cancel", List.of("1"), column(c, "SELECT 1"));

		// a timeout set in the connection URL, as BI tools' data source settings do
		try (Connection t = DriverManager.getConnection(url + "&options=-c%20statement_timeout%3D300");
			 Statement st = t.createStatement())
		{
			check("a statement_timeout in the URL's options applies (57014)", "57014", sqlstate(st, LONG_QUERY));
		}
	}
}
