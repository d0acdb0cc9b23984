package dev.runplane.server.core.error;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** A named resource does not exist. */
public final class NotFoundException extends RunplaneException {

    private final String resourceType;
    private final String resourceName;

    /** @param resourceType lower_snake, e.g. {@code api_key}; the reason is API_KEY_NOT_FOUND */
    public NotFoundException(String resourceType, String resourceName) {
        super(Kind.NOT_FOUND, resourceType.toUpperCase(Locale.ROOT) + "_NOT_FOUND", Map.of(),
                resourceType + " " + resourceName + " not found", null);
        this.resourceType = resourceType;
        this.resourceName = resourceName;
    }

    public static NotFoundException execution(Object id) {
        return new NotFoundException("execution", String.valueOf(id));
    }

    @Override
    public Optional<Resource> resource() {
        return Optional.of(new Resource(this.resourceType, this.resourceName, ""));
    }
}
