package dev.runplane.server.core.error;

import java.util.List;
import java.util.Map;

/** A request was refused before it changed anything, for the listed fields. */
public final class InvalidArgumentException extends RunplaneException {

    private final List<FieldViolation> violations;

    public InvalidArgumentException(List<FieldViolation> violations) {
        super(Kind.INVALID_ARGUMENT, "INVALID_FIELD", Map.of(), describe(violations), null);
        if (violations.isEmpty()) {
            throw new IllegalArgumentException("violations must not be empty");
        }
        this.violations = List.copyOf(violations);
    }

    public static InvalidArgumentException of(String field, String description) {
        return new InvalidArgumentException(List.of(new FieldViolation(field, description)));
    }

    @Override
    public List<FieldViolation> violations() {
        return this.violations;
    }

    private static String describe(List<FieldViolation> violations) {
        StringBuilder text = new StringBuilder("invalid request: ");
        for (int i = 0; i < violations.size(); i++) {
            FieldViolation v = violations.get(i);
            text.append(i == 0 ? "" : "; ").append(v.field()).append(": ").append(v.description());
        }
        return text.toString();
    }
}
