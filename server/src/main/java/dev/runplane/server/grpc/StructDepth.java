package dev.runplane.server.grpc;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;

/**
 * How deeply a Struct nests, as JSON counts it (the Struct itself is 1, each object or list inside
 * adds 1). Protobuf parses up to 100 message levels, but each JSON level costs two or three of them
 * (Struct, Value, ListValue), so a Struct that parsed may still be too deep to read back through
 * JSON: the limit refuses it at the door instead.
 */
final class StructDepth {

    /** Deeper than this is refused (INVALID_ARGUMENT naming the field). */
    static final int MAX = 32;

    private StructDepth() {
    }

    /** Whether the Struct nests at most {@link #MAX} levels; stops counting as soon as it is deeper. */
    static boolean withinLimit(Struct struct) {
        return fits(struct, 1);
    }

    private static boolean fits(Struct struct, int depth) {
        if (depth > MAX) {
            return false;
        }
        for (Value value : struct.getFieldsMap().values()) {
            if (!fits(value, depth)) {
                return false;
            }
        }
        return true;
    }

    private static boolean fits(Value value, int depth) {
        return switch (value.getKindCase()) {
            case STRUCT_VALUE -> fits(value.getStructValue(), depth + 1);
            case LIST_VALUE -> fits(value.getListValue(), depth + 1);
            default -> true;
        };
    }

    private static boolean fits(ListValue list, int depth) {
        if (depth > MAX) {
            return false;
        }
        for (Value value : list.getValuesList()) {
            if (!fits(value, depth)) {
                return false;
            }
        }
        return true;
    }
}
