package dev.runplane.server.core.search;

import dev.runplane.server.core.Execution;
import java.util.List;

/**
 * One page of Search results.
 *
 * @param nextPageToken null on the last page
 * @param totalSize     the number of matches, or null when it was not asked for
 */
public record SearchPage(List<Execution> executions, String nextPageToken, Long totalSize) {
}
