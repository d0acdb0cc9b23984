package dev.runplane.server.cli.client;

import java.util.Locale;
import picocli.CommandLine;

/** The {@code -o} forms: aligned tables for people, the proto JSON for scripts. */
enum Format {
    /** Aligned columns, relative times; colour only on a terminal. */
    TABLE,
    /** The proto JSON (JsonFormat), one document. */
    JSON,
    /** One compact proto JSON line per execution, event, queue or worker (for jq). */
    JSONL;

    /** Reads {@code table}, {@code json}, {@code jsonl} in any case. */
    static final class Converter implements CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            try {
                return Format.valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not one of table, json, jsonl");
            }
        }
    }
}
