package dev.runplane.server.store;

/** Helpers for the SQL text this store sends. */
final class Sql {

    private Sql() {
    }

    /**
     * The statement with each run of whitespace outside string literals made one space. The driver
     * tokenizes a statement's whole text on every execution (r2dbc-postgresql's
     * {@code PostgresqlSqlParser}, 20% of the server's CPU under the worker benchmark), and our
     * transition statements are kilobytes of indented SQL. Refuses {@code --} comments, which would
     * swallow the rest of a joined line.
     */
    static String compact(String sql) {
        StringBuilder out = new StringBuilder(sql.length());
        boolean quoted = false;
        boolean space = false;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (quoted) {
                out.append(c);
                quoted = c != '\'';
            } else if (Character.isWhitespace(c)) {
                space = true;
            } else {
                if (c == '-' && i + 1 < sql.length() && sql.charAt(i + 1) == '-') {
                    throw new IllegalArgumentException("a -- comment in SQL that is compacted: " + sql);
                }
                if (space && !out.isEmpty()) {
                    out.append(' ');
                }
                space = false;
                out.append(c);
                quoted = c == '\'';
            }
        }
        return out.toString();
    }
}
