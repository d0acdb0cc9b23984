package dev.runplane.server.core;

/**
 * Who or what triggered an execution.
 *
 * @param variablesJson the trigger's variables as a JSON object text, or null
 */
public record Trigger(TriggerKind kind, String actor, String variablesJson) {

    public static Trigger api() {
        return new Trigger(TriggerKind.API, "", null);
    }
}
