package dev.runplane.server.grpc;

import dev.runplane.server.core.Execution;
import dev.runplane.v1.ItemError;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The shape of every batch call: each item is checked as the call alone would check it, the valid
 * ones are handed to the core together (so that they share its group commit), and each item gets
 * its own result, in request order: a bad item fails only itself, with the error it would get alone.
 */
final class BatchItems {

    private BatchItems() {
    }

    /**
     * @param check     the item's validation (throws what the call alone would answer)
     * @param submitAll hands the valid items to the core at once; one answer each, in order
     * @param done      the result of an item that produced an execution (the item and the execution)
     * @param failed    the result of an item that did not
     */
    static <I, V, R> Mono<List<R>> answerEach(List<I> items, Function<I, V> check,
                                              Function<List<V>, List<Mono<Execution>>> submitAll,
                                              BiFunction<I, Execution, R> done, Function<ItemError, R> failed) {
        List<Object> checked = new ArrayList<>(items.size()); // a valid item, or its validation error
        List<V> valid = new ArrayList<>(items.size());
        for (I item : items) {
            try {
                V ok = check.apply(item);
                checked.add(ok);
                valid.add(ok);
            } catch (RuntimeException invalid) {
                checked.add(invalid);
            }
        }
        Iterator<Mono<Execution>> answers = submitAll.apply(valid).iterator();
        List<Mono<R>> results = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            I item = items.get(i);
            Mono<Execution> answer = checked.get(i) instanceof RuntimeException invalid ? Mono.error(invalid)
                    : answers.next();
            results.add(answer.map(e -> done.apply(item, e))
                    .onErrorResume(error -> Mono.just(failed.apply(ItemErrors.of(error)))));
        }
        return Flux.concat(results).collectList();
    }
}
