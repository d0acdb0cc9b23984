package dev.runplane.server.core;

import dev.runplane.server.core.search.PageTokens;
import dev.runplane.server.core.search.SearchFilter;
import dev.runplane.server.core.search.SearchOrder;
import java.util.Collection;
import java.util.Map;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Read-only queries over executions and their history (Search, ListExecutionEvents). */
public interface ExecutionQueries {

    /**
     * Executions that match, in the given order, after the keyset position {@code after} (null: from
     * the start), at most {@code limit}. The text is matched as plain words, never as query syntax.
     */
    Flux<Execution> search(SearchFilter filter, String text, SearchOrder order, PageTokens.Cursor after, int limit);

    /** How many executions match. */
    Mono<Long> count(SearchFilter filter, String text);

    /** Events of one execution with a revision above {@code afterRevision}, in revision order. */
    Flux<Event> events(UUID executionId, long afterRevision, int limit);

    /**
     * The pipeline of each of these executions that exists (an execution never changes pipeline), for
     * the pipeline allow-list of API keys; an unknown id is left out.
     */
    Mono<Map<UUID, String>> pipelines(Collection<UUID> ids);

    /** The secret that signs page tokens; the same for every replica on one database. */
    Mono<byte[]> pageTokenKey();
}
