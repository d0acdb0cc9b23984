package dev.runplane.server.core;

/** A named resource does not exist. */
public final class NotFoundException extends RuntimeException {

    private final String resourceType;
    private final String resourceName;

    public NotFoundException(String resourceType, String resourceName) {
        super(resourceType + " " + resourceName + " not found");
        this.resourceType = resourceType;
        this.resourceName = resourceName;
    }

    public static NotFoundException execution(Object id) {
        return new NotFoundException("execution", String.valueOf(id));
    }

    public String resourceType() {
        return this.resourceType;
    }

    public String resourceName() {
        return this.resourceName;
    }
}
