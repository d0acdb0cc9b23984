package dev.runplane.server.grpc.auth;

import dev.runplane.server.core.auth.Scope;
import java.util.Set;

/**
 * Which scope each RPC needs: the one table of it. Health is always open; reflection is open unless
 * the server protects it with READ. A Runplane method that this table does not know needs ADMIN, so
 * a new RPC is closed until someone decides otherwise.
 */
final class MethodScopes {

    private static final Set<String> READ_METHODS = Set.of(
            "GetExecution", "Search", "ListExecutionEvents", "WatchExecution", "WatchExecutions",
            "AwaitExecution", "ListQueues", "ListWorkers");
    private static final Set<String> RUN_METHODS = Set.of("Run", "RunBatch", "Cancel", "Rerun");

    private MethodScopes() {
    }

    /** The scope that the method needs, or null if it is open to everyone. */
    static Scope required(String serviceName, String bareMethodName, boolean protectReflection) {
        if (serviceName == null) {
            return Scope.ADMIN;
        }
        switch (serviceName) {
            case "grpc.health.v1.Health":
                return null;
            case "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection":
                return protectReflection ? Scope.READ : null;
            case "runplane.v1.ExecutionService":
                if (READ_METHODS.contains(bareMethodName)) {
                    return Scope.READ;
                }
                return RUN_METHODS.contains(bareMethodName) ? Scope.RUN : Scope.ADMIN;
            case "runplane.v1.WorkerService":
                return Scope.WORK;
            default:
                return Scope.ADMIN;
        }
    }
}
