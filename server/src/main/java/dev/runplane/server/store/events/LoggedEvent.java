package dev.runplane.server.store.events;

import dev.runplane.server.core.Event;

/** An event and its place in the log. */
record LoggedEvent(EventPosition position, Event event) {
}
