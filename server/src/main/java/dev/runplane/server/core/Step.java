package dev.runplane.server.core;

import java.time.Instant;

/**
 * One stage inside an execution, as reported by its worker.
 *
 * @param metricsJson the step's metrics as a JSON object text, or null
 */
public record Step(String name, StepState status, Instant startTime, Instant endTime, String message,
                   String metricsJson) {
}
