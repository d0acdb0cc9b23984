package dev.runplane.server.grpc;

import dev.runplane.server.core.ExecutionState;
import dev.runplane.server.core.Limits;
import dev.runplane.server.core.Mode;
import dev.runplane.server.core.search.SearchFilter;
import dev.runplane.server.core.search.SearchOrder;
import dev.runplane.server.core.search.SearchQuery;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.TimeRange;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Checks a SearchRequest and turns it into a {@link SearchQuery}. Every bad field is named; nothing
 * the client typed reaches SQL except as a bind parameter of a known type.
 */
final class SearchRequestValidator {

    static final int DEFAULT_PAGE_SIZE = 50;
    static final int MAX_PAGE_SIZE = 1000;
    static final int MAX_QUERY_LENGTH = 1000;
    static final int MAX_PAGE_TOKEN_LENGTH = 512;

    private static final String ORDER_KEYS = Arrays.stream(SearchOrder.Key.values())
            .map(k -> k.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));

    private final Limits limits;

    SearchRequestValidator(Limits limits) {
        this.limits = limits;
    }

    SearchQuery validate(SearchRequest request) {
        RequestChecks checks = new RequestChecks();
        SearchFilter filter = filter(checks, "filter.", request.getFilter(), FilterChecks.SEARCH, limits);
        String text = checks.text("query", request.getQuery(), MAX_QUERY_LENGTH);
        if (text != null && text.isBlank()) {
            text = null;
        }
        SearchOrder order = order(checks, request.getOrderBy());
        int pageSize = pageSize(checks, request.getPageSize(), DEFAULT_PAGE_SIZE);
        String token = checks.text("page_token", request.getPageToken(), MAX_PAGE_TOKEN_LENGTH);
        checks.throwIfInvalid();
        return new SearchQuery(filter, text, order, pageSize, binding(request, order), token,
                request.getIncludeTotalSize());
    }

    /** page_size: 0 means the default, more than the maximum is lowered, negative is refused. */
    static int pageSize(RequestChecks checks, int requested, int defaultSize) {
        if (requested < 0) {
            checks.fail("page_size", "must not be negative");
            return defaultSize;
        }
        return requested == 0 ? defaultSize : Math.min(requested, MAX_PAGE_SIZE);
    }

    /**
     * What a page token is bound to: the filter, the query and the normalized order (page_size and
     * include_total_size may change from page to page).
     */
    static String binding(SearchRequest request, SearchOrder order) {
        SearchRequest bound = SearchRequest.newBuilder()
                .setFilter(request.getFilter())
                .setQuery(request.getQuery().isBlank() ? "" : request.getQuery())
                .setOrderBy(order.toString())
                .build();
        return "search " + RunRequestValidator.fingerprint(bound);
    }

    /**
     * An ExecutionFilter as Search takes it; WatchExecutions takes the same one (its repeated fields
     * checked by {@code repeated}: {@link FilterChecks#WATCH} names bad values by index).
     */
    static SearchFilter filter(RequestChecks checks, String prefix, ExecutionFilter f, FilterChecks repeated,
                               Limits limits) {
        List<UUID> ids = repeated.ids(checks, prefix + "ids", f.getIdsList());
        List<String> pipelines = repeated.pipelines(checks, prefix + "pipelines", f.getPipelinesList());
        Set<ExecutionState> statuses = repeated.statuses(checks, prefix + "statuses", f.getStatusesList());
        Set<Mode> modes = repeated.modes(checks, prefix + "modes", f.getModesList());
        Map<String, String> labels = new TreeMap<>(f.getLabelsMap());
        checks.labels(prefix + "labels", labels, limits);
        Integer min = f.hasMinPriority() ? f.getMinPriority() : null;
        Integer max = f.hasMaxPriority() ? f.getMaxPriority() : null;
        if (min != null && max != null && min > max) {
            checks.fail(prefix + "min_priority", "must not be above max_priority");
        }
        return new SearchFilter(ids, pipelines, List.copyOf(statuses), List.copyOf(modes), labels,
                checks.optionalId(prefix + "parent_id", f.getParentId()),
                checks.text(prefix + "worker_id", f.getWorkerId(), 256),
                range(checks, prefix + "create_time", f.hasCreateTime(), f.getCreateTime()),
                range(checks, prefix + "start_time", f.hasStartTime(), f.getStartTime()),
                range(checks, prefix + "end_time", f.hasEndTime(), f.getEndTime()),
                min, max);
    }

    private static SearchFilter.TimeRange range(RequestChecks checks, String field, boolean present, TimeRange range) {
        if (!present) {
            return SearchFilter.TimeRange.ANY;
        }
        var start = checks.rangeBound(field + ".start", range.hasStart(), range.getStart());
        var end = checks.rangeBound(field + ".end", range.hasEnd(), range.getEnd());
        if (start != null && end != null && start.isAfter(end)) {
            checks.fail(field, "start must not be after end");
        }
        return new SearchFilter.TimeRange(start, end);
    }

    /** "create_time desc" (the default), or another key, optionally followed by asc or desc. */
    static SearchOrder order(RequestChecks checks, String orderBy) {
        String[] words = orderBy.trim().toLowerCase(Locale.ROOT).split("\\s+");
        if (orderBy.isBlank()) {
            return SearchOrder.DEFAULT;
        }
        SearchOrder.Key key = null;
        for (SearchOrder.Key candidate : SearchOrder.Key.values()) {
            if (candidate.name().toLowerCase(Locale.ROOT).equals(words[0])) {
                key = candidate;
            }
        }
        boolean directionOk = words.length == 1 || (words.length == 2 && (words[1].equals("asc") || words[1].equals("desc")));
        if (key == null || !directionOk || orderBy.length() > 64) {
            checks.fail("order_by", "must be one of " + ORDER_KEYS + ", optionally followed by asc or desc");
            return SearchOrder.DEFAULT;
        }
        return new SearchOrder(key, words.length == 2 && words[1].equals("desc"));
    }
}
