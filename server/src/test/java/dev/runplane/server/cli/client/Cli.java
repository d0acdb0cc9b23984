package dev.runplane.server.cli.client;

import dev.runplane.server.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * The launcher run in this JVM, as {@code runplane ARGS} would run it, with what it printed; and
 * readers of what the commands print for people (the detail view, tables).
 */
final class Cli {

    private Cli() {
    }

    record Result(int code, String out, String err) {

        @Override
        public String toString() {
            return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Main()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** The detail view (get, run, await) as field -> value: "status     SUCCEEDED" gives status -> SUCCEEDED. */
    static Map<String, String> fields(String detail) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : detail.split("\n")) {
            if (line.isBlank()) {
                break; // the steps table follows
            }
            String[] parts = line.split(" {2,}", 2);
            fields.put(parts[0], parts.length > 1 ? parts[1] : "");
        }
        return fields;
    }

    /** An aligned table as rows of column -> cell, cut where the header's columns start. */
    static List<Map<String, String>> rows(String table) {
        String[] lines = table.split("\n");
        String header = lines[0];
        List<Integer> starts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\S+( \\S+)*").matcher(header); m.find(); ) {
            starts.add(m.start());
            names.add(m.group());
        }
        List<Map<String, String>> rows = new ArrayList<>();
        for (int r = 1; r < lines.length; r++) {
            if (lines[r].isBlank()) {
                continue;
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int c = 0; c < starts.size(); c++) {
                int from = Math.min(starts.get(c), lines[r].length());
                int to = c + 1 < starts.size() ? Math.min(starts.get(c + 1), lines[r].length()) : lines[r].length();
                row.put(names.get(c), lines[r].substring(from, to).strip());
            }
            rows.add(row);
        }
        return rows;
    }
}
