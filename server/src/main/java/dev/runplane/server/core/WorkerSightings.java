package dev.runplane.server.core;

import java.time.Duration;
import java.util.List;
import reactor.core.publisher.Mono;

/** Where workers are recorded, for every replica's ListWorkers (the workers table). */
public interface WorkerSightings {

    /**
     * Records that the worker called now, with the pipelines of its Poll (null: a call without
     * pipelines, which keeps the stored ones) and the key it used (empty without keys).
     */
    Mono<Void> record(String workerId, List<String> pipelines, String keyId);

    /** Deletes at most {@code limit} workers unseen for {@code unseenFor}; answers how many. */
    Mono<Integer> forget(Duration unseenFor, int limit);
}
