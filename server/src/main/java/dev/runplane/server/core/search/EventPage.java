package dev.runplane.server.core.search;

import dev.runplane.server.core.Event;
import java.util.List;

/**
 * One page of an execution's history, oldest first.
 *
 * @param nextPageToken null on the last page
 */
public record EventPage(List<Event> events, String nextPageToken) {
}
