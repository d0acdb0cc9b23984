package dev.runplane.server.cli.client;

import com.google.protobuf.Struct;
import dev.runplane.client.StructJson;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.ExecutionStatus;
import dev.runplane.v1.Queue;
import dev.runplane.v1.Step;
import dev.runplane.v1.Worker;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The tables of the client commands: what a person reads (scripts read {@code -o json}). */
final class Views {

    private Views() {
    }

    /** One execution, a field per line ({@code get}, {@code run}, {@code await}); outputs as JSON. */
    static void detail(Execution e, Instant now, Style style, PrintWriter out) {
        Map<String, String> f = new java.util.LinkedHashMap<>();
        f.put("id", e.getId());
        f.put("pipeline", e.getPipeline());
        f.put("status", style.status(e.getStatus()));
        if (e.getQueuePosition() > 0) {
            f.put("position", e.getQueuePosition() + " in the queue of " + e.getPipeline());
        }
        f.put("mode", Human.mode(e.getMode()));
        f.put("priority", Integer.toString(e.getPriority()));
        f.put("attempt", e.getAttempt() + " of " + Math.max(1, e.getMaxAttempts()));
        putIf(f, "labels", labels(e.getLabelsMap()));
        f.put("created", when(e.getCreateTime(), now));
        if (e.hasScheduledFor() && com.google.protobuf.util.Timestamps.compare(e.getScheduledFor(), e.getCreateTime()) > 0
                && e.getStartTime().getSeconds() == 0) {
            f.put("scheduled", when(e.getScheduledFor(), now));
        }
        f.put("started", when(e.getStartTime(), now));
        f.put("ended", when(e.getEndTime(), now));
        f.put("waiting", Human.duration(e.getWaitingTime()));
        f.put("running", Human.duration(e.getExecutionTime()));
        if (e.hasMaxRuntime()) {
            f.put("max runtime", Human.duration(e.getMaxRuntime()));
        }
        putIf(f, "worker", e.getWorkerId());
        putIf(f, "message", e.getMessage());
        putIf(f, "error", e.getError());
        putIf(f, "parent", e.getParentId());
        putIf(f, "rerun of", e.getRerunOf());
        putIf(f, "duplicate of", e.getDuplicateOf());
        putIf(f, "request id", e.getRequestId());
        putIf(f, "dedup key", e.getDedupKey());
        f.put("inputs", json(e.getInputs()));
        if (e.hasOutputs()) {
            f.put("outputs", json(e.getOutputs()));
        }
        int width = f.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, String> field : f.entrySet()) {
            out.println(field.getKey() + " ".repeat(width - field.getKey().length() + 2) + field.getValue());
        }
        if (e.getStepsCount() > 0) {
            out.println();
            steps(e.getStepsList(), now, style, out);
        }
        out.flush();
    }

    static void steps(List<Step> steps, Instant now, Style style, PrintWriter out) {
        Table table = new Table("STEP", "STATUS", "STARTED", "DURATION", "MESSAGE").style(1, style::status);
        for (Step step : steps) {
            String duration = step.hasStartTime() && step.hasEndTime()
                    ? Human.duration(java.time.Duration.between(instant(step.getStartTime()), instant(step.getEndTime())))
                    : "-";
            table.row(step.getName(), step.getStatus().name().substring("STEP_STATUS_".length()),
                    Human.ago(step.getStartTime(), now), duration, Human.clip(step.getMessage(), 80));
        }
        table.print(out, style);
    }

    /** Executions as rows ({@code search}). */
    static void executions(List<Execution> executions, Instant now, Style style, PrintWriter out) {
        Table table = new Table("ID", "PIPELINE", "STATUS", "CREATED", "RUNNING", "MESSAGE").style(2, style::status);
        for (Execution e : executions) {
            table.row(e.getId(), e.getPipeline(), Human.status(e.getStatus()), Human.ago(e.getCreateTime(), now),
                    Human.duration(e.getExecutionTime()),
                    Human.clip(e.getError().isEmpty() ? e.getMessage() : e.getError(), 60));
        }
        table.print(out, style);
    }

    /** An execution's history ({@code events}). */
    static void events(List<ExecutionEvent> events, Instant now, Style style, PrintWriter out) {
        Table table = new Table("REV", "TIME", "AGO", "FROM", "TO", "ACTOR", "REASON").style(4, style::status);
        for (ExecutionEvent event : events) {
            table.row(Long.toString(event.getRevision()), Human.time(event.getEventTime()),
                    Human.ago(event.getEventTime(), now), from(event), Human.status(event.getToStatus()),
                    event.getActor(), Human.clip(event.getReason(), 60));
        }
        table.print(out, style);
    }

    static void queues(List<Queue> queues, Instant now, Style style, PrintWriter out) {
        Table table = new Table("PIPELINE", "QUEUED", "SCHEDULED", "RUNNING", "WORKERS", "OLDEST QUEUED");
        for (Queue q : queues) {
            table.row(q.getPipeline(), Long.toString(q.getQueuedCount()), Long.toString(q.getScheduledCount()),
                    Long.toString(q.getRunningCount()), Integer.toString(q.getWorkerCount()),
                    Human.ago(q.getOldestQueueTime(), now));
        }
        table.print(out, style);
    }

    static void workers(List<Worker> workers, Instant now, Style style, PrintWriter out) {
        Table table = new Table("WORKER", "PIPELINES", "RUNNING", "LAST SEEN", "KEY");
        for (Worker w : workers) {
            table.row(w.getWorkerId(), String.join(",", w.getPipelinesList()), Integer.toString(w.getRunningCount()),
                    Human.ago(w.getLastSeenTime(), now), w.getKeyId().isEmpty() ? "-" : w.getKeyId());
        }
        table.print(out, style);
    }

    /** A change of a watched set, as one line ({@code watch --pipeline}): time, id, pipeline, from -> to, message. */
    static String change(ExecutionEvent event, Style style) {
        Execution e = event.getExecution();
        String message = !e.getError().isEmpty() ? e.getError() : !event.getReason().isEmpty() ? event.getReason()
                : e.getMessage();
        return Human.time(event.getEventTime()) + "  " + event.getExecutionId() + "  " + e.getPipeline() + "  "
                + from(event) + " -> " + style.status(event.getToStatus())
                + (message.isEmpty() ? "" : "  " + Human.clip(message, 80));
    }

    /** A snapshot row of a watched set, in the form of {@link #change}: as it is now. */
    static String current(Execution e, Style style) {
        String message = e.getError().isEmpty() ? e.getMessage() : e.getError();
        return Human.time(e.getUpdateTime()) + "  " + e.getId() + "  " + e.getPipeline() + "  now "
                + style.status(e.getStatus()) + (message.isEmpty() ? "" : "  " + Human.clip(message, 80));
    }

    private static String from(ExecutionEvent event) {
        return event.getFromStatus() == ExecutionStatus.EXECUTION_STATUS_UNSPECIFIED ? "-"
                : Human.status(event.getFromStatus());
    }

    private static String when(com.google.protobuf.Timestamp time, Instant now) {
        return time.getSeconds() == 0 && time.getNanos() == 0 ? "-" : Human.time(time) + " (" + Human.ago(time, now) + ")";
    }

    private static void putIf(Map<String, String> fields, String name, String value) {
        if (!value.isEmpty()) {
            fields.put(name, value);
        }
    }

    private static String labels(Map<String, String> labels) {
        return new TreeMap<>(labels).entrySet().stream().map(l -> l.getKey() + "=" + l.getValue())
                .collect(Collectors.joining(","));
    }

    /** A Struct in the server's JSON form (whole numbers as integers). */
    static String json(Struct struct) {
        try {
            return StructJson.write(struct);
        } catch (StructJson.NotJson e) {
            return "(not JSON: " + e.getMessage() + " at " + e.path() + ")"; // the server never stores one
        }
    }

    private static Instant instant(com.google.protobuf.Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }
}
