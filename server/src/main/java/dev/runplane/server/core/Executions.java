package dev.runplane.server.core;

import dev.runplane.server.core.error.InvalidArgumentException;
import dev.runplane.server.core.error.NotFoundException;
import dev.runplane.server.core.error.TransitionRefusedException;
import dev.runplane.server.core.search.EventPage;
import dev.runplane.server.core.search.PageTokens;
import dev.runplane.server.core.search.SearchPage;
import dev.runplane.server.core.search.SearchQuery;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;

/** The use cases of ExecutionService, free of transport and storage details. */
public final class Executions {

    private final ExecutionStore store;
    private final ExecutionQueries queries;
    /** Read from the database on first use; a failed read is not kept, so the next call tries again. */
    private final AtomicReference<PageTokens> pageTokens = new AtomicReference<>();

    public Executions(ExecutionStore store, ExecutionQueries queries) {
        this.store = store;
        this.queries = queries;
    }

    private Mono<PageTokens> pageTokens() {
        PageTokens tokens = pageTokens.get();
        return tokens != null ? Mono.just(tokens)
                : queries.pageTokenKey().map(PageTokens::new).doOnNext(pageTokens::set);
    }

    public Mono<Execution> run(NewExecution request) {
        return store.create(request);
    }

    /** Each Run's own answer, in order; see {@link ExecutionStore#createAll}. */
    public List<Mono<Execution>> runAll(List<NewExecution> requests) {
        return store.createAll(requests);
    }

    public Mono<Execution> get(UUID id) {
        return store.find(id).switchIfEmpty(Mono.error(() -> NotFoundException.execution(id)));
    }

    /**
     * Cancels: QUEUED → CANCELLED, RUNNING → CANCELLING. An execution already cancelling or
     * cancelled is returned unchanged; any other refusal stays a refusal.
     */
    public Mono<Execution> cancel(UUID id, String actor, String reason) {
        return store.transition(TransitionRequest.of(id, Action.CANCEL, actor, reason))
                .onErrorResume(TransitionRefusedException.class, refused ->
                        refused.from() == ExecutionState.CANCELLING || refused.from() == ExecutionState.CANCELLED
                                ? get(id)
                                : Mono.error(refused));
    }

    /** A new execution like an earlier one (pipeline, inputs, labels, mode, limits), rerun_of pointing back. */
    public Mono<Execution> rerun(Rerun request, String actor) {
        return get(request.id()).flatMap(original -> store.create(NewExecution.builder(original.pipeline())
                .mode(original.mode())
                .priority(request.priority() != null ? request.priority() : original.priority())
                .labels(original.labels())
                .inputsJson(request.inputsJson() != null ? request.inputsJson() : original.inputsJson())
                .trigger(new Trigger(TriggerKind.RERUN, actor, null))
                .parentId(original.parentId())
                .rerunOf(original.id())
                .request(request.requestId(), request.requestFingerprint())
                // A rerun is a deliberate repeat: it does not take part in dedup (no dedup key), and it
                // starts at once (no scheduled_for).
                .maxAttempts(original.maxAttempts())
                .maxRuntime(original.maxRuntime())
                .actor(actor)
                .build()));
    }

    /** One page of executions; the next page starts after the last row of this one (keyset). */
    public Mono<SearchPage> search(SearchQuery query) {
        return pageTokens().flatMap(tokens -> {
            PageTokens.Cursor after = query.pageToken() == null ? null
                    : tokens.decode("page_token", query.binding(), query.pageToken());
            if (after != null && query.order().tiesInClaimOrder() && after.tie() == null) {
                // Issued when ties of priority went by id alone: its position means another order.
                throw InvalidArgumentException.of("page_token", "was issued before ties of a priority order "
                        + "followed the claim order; search again from the first page");
            }
            Mono<List<Execution>> rows = queries.search(query.filter(), query.text(), query.order(), after,
                    query.pageSize() + 1).collectList();
            Mono<Long> total = query.includeTotalSize() ? queries.count(query.filter(), query.text()) : Mono.just(-1L);
            return Mono.zip(rows, total).map(found -> {
                List<Execution> page = found.getT1();
                String next = null;
                if (page.size() > query.pageSize()) {
                    page = page.subList(0, query.pageSize());
                    Execution last = page.get(page.size() - 1);
                    PageTokens.Tie tie = query.order().tiesInClaimOrder()
                            ? new PageTokens.Tie(query.order().queueTimeOf(last)) : null;
                    next = tokens.encode(query.binding(), new PageTokens.Cursor(query.order().valueOf(last), tie,
                            last.id()));
                }
                return new SearchPage(page, next, found.getT2() < 0 ? null : found.getT2());
            });
        });
    }

    /** One page of an execution's history, oldest first. */
    public Mono<EventPage> events(UUID id, int pageSize, String pageToken) {
        String binding = "events " + id;
        return pageTokens().flatMap(tokens -> {
            long afterRevision = pageToken == null ? 0 : tokens.decode("page_token", binding, pageToken).value();
            return queries.events(id, afterRevision, pageSize + 1).collectList().flatMap(events -> {
                if (events.isEmpty() && afterRevision == 0) {
                    // Every execution has the event that created it.
                    return Mono.error(NotFoundException.execution(id));
                }
                List<Event> page = events;
                String next = null;
                if (page.size() > pageSize) {
                    page = page.subList(0, pageSize);
                    next = tokens.encode(binding, new PageTokens.Cursor(page.get(pageSize - 1).revision(), id));
                }
                return Mono.just(new EventPage(page, next));
            });
        });
    }
}
