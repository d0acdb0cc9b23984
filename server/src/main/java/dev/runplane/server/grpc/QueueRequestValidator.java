package dev.runplane.server.grpc;

import dev.runplane.v1.ListQueuesRequest;
import dev.runplane.v1.ListWorkersRequest;
import java.util.List;

/**
 * Checks ListQueues and ListWorkers: their one field, pipelines, is checked as a Search filter's
 * pipelines are ({@link FilterChecks#SEARCH}): valid names, at most {@link FilterChecks#MAX_VALUES},
 * duplicates dropped.
 */
final class QueueRequestValidator {

    List<String> queues(ListQueuesRequest request) {
        return pipelines(request.getPipelinesList());
    }

    List<String> workers(ListWorkersRequest request) {
        return pipelines(request.getPipelinesList());
    }

    private static List<String> pipelines(List<String> values) {
        RequestChecks checks = new RequestChecks();
        List<String> pipelines = FilterChecks.SEARCH.pipelines(checks, "pipelines", values);
        checks.throwIfInvalid();
        return pipelines;
    }
}
