package dev.runplane.server.cli.client;

import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.SearchRequest;
import dev.runplane.v1.SearchResponse;
import dev.runplane.v1.TimeRange;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code runplane search [filters] [--limit N | --all]}: Search, paging by itself. */
@Command(name = "search", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"List executions that match a filter, newest first by default. --all follows every page "
                + "(the server's keyset pages: stable while executions are added); --limit stops after N."},
        footerHeading = "%nExamples:%n",
        footer = {"  runplane search --pipeline nightly --since 7d",
                "  runplane search --status failed -l twin=turbine-7 --order 'end_time desc' --limit 10",
                "  runplane search --query 'disk full' --all -o jsonl | jq -r .id"})
public final class SearchCommand implements Callable<Integer> {

    @Mixin
    CommandContext context;

    @Mixin
    FilterOptions filters;

    @Option(names = "--since", paramLabel = "TIME",
            description = "Created at or after: RFC 3339, a date, or back from now (7d, 2h).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Created before: RFC 3339, a date, or back from now.")
    String until;

    @Option(names = "--query", paramLabel = "TEXT",
            description = "Free text over pipeline, message, error and label values: every word must occur.")
    String query;

    @Option(names = "--order", paramLabel = "ORDER",
            description = "create_time, start_time, end_time, priority or execution_time, then asc or desc "
                    + "(default \"create_time desc\").")
    String order;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50",
            description = "At most N executions (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--all", description = "Every match, page after page (instead of --limit).")
    boolean all;

    @Option(names = "--page-size", paramLabel = "N", defaultValue = "1000",
            description = "Executions per call to the server (default and most: ${DEFAULT-VALUE}).")
    int pageSize;

    @Override
    public Integer call() {
        if (limit < 1 || pageSize < 1) {
            throw context.usage((limit < 1 ? "--limit" : "--page-size") + " must be at least 1");
        }
        if (all && context.spec.commandLine().getParseResult().hasMatchedOption("--limit")) {
            throw context.usage("--limit and --all: choose one");
        }
        return context.call(connection -> {
            ExecutionFilter.Builder filter = filters.toFilter();
            if (since != null || until != null) {
                TimeRange.Builder range = TimeRange.newBuilder();
                if (since != null) {
                    range.setStart(Values.time(since, "--since", false, context.now()));
                }
                if (until != null) {
                    range.setEnd(Values.time(until, "--until", false, context.now()));
                }
                filter.setCreateTime(range);
            }
            SearchRequest.Builder request = SearchRequest.newBuilder().setFilter(filter);
            if (query != null) {
                request.setQuery(query);
            }
            if (order != null) {
                request.setOrderBy(order);
            }
            List<Execution> found = new ArrayList<>();
            int seen = 0;
            String token = "";
            do {
                int want = all ? pageSize : Math.min(pageSize, limit - seen);
                SearchResponse page = connection.executions().search(request.setPageSize(want).setPageToken(token).build());
                List<Execution> rows = page.getExecutionsList();
                seen += rows.size();
                if (context.format() == Format.JSONL) {
                    rows.forEach(context::line); // as they come: --all may be long
                } else {
                    found.addAll(rows);
                }
                token = page.getNextPageToken();
            } while (!token.isEmpty() && (all || seen < limit));
            switch (context.format()) {
                case JSON -> context.document(SearchResponse.newBuilder().addAllExecutions(found).setNextPageToken(token));
                case TABLE -> {
                    Views.executions(found, context.now(), context.style(), context.out());
                    if (!token.isEmpty()) {
                        context.note("(more match: --limit N or --all shows them)");
                    }
                }
                default -> { }
            }
            return ExitCodes.OK;
        });
    }
}
