package dev.runplane.server.cli.client;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Aligned columns separated by two spaces; the last column is not padded. A column can be styled
 * (coloured) after it is padded, so escape codes never shift the columns.
 */
final class Table {

    private final String[] headers;
    private final List<String[]> rows = new ArrayList<>();
    private final Map<Integer, UnaryOperator<String>> styles = new HashMap<>();

    Table(String... headers) {
        this.headers = headers;
    }

    Table row(String... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.length + " columns");
        }
        this.rows.add(cells);
        return this;
    }

    /** Styles every cell of a column (not its header) once it is measured. */
    Table style(int column, UnaryOperator<String> style) {
        this.styles.put(column, style);
        return this;
    }

    void print(PrintWriter out, Style style) {
        int[] widths = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            widths[i] = headers[i].length();
            for (String[] row : rows) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        out.println(style.header(line(headers, Map.of(), widths)));
        for (String[] row : rows) {
            out.println(line(row, styles, widths));
        }
        out.flush();
    }

    private static String line(String[] cells, Map<Integer, UnaryOperator<String>> styles, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean last = i == cells.length - 1;
            UnaryOperator<String> style = styles.get(i);
            line.append(style == null ? cells[i] : style.apply(cells[i]));
            if (!last) {
                // The padding is measured on the plain text: escape codes take no columns.
                line.append(" ".repeat(widths[i] - cells[i].length() + 2));
            }
        }
        return line.toString().stripTrailing();
    }
}
