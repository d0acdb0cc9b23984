package dev.runplane.server.store;

import dev.runplane.server.core.ExecutionEvent;

/** An event and its place in the log. */
record LoggedEvent(EventPosition position, ExecutionEvent event) {
}
