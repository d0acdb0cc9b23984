package dev.runplane.server.core;

/** Production runs write their results back; experiments are trials. */
public enum Mode {
    PRODUCTION,
    EXPERIMENT
}
