package dev.runplane.server.watch;

import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.PerClassServer;
import dev.runplane.server.testing.StreamRecorder;
import dev.runplane.v1.ExecutionFilter;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import io.grpc.Context;
import io.grpc.Status;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** WatchExecutions caps its filter's repeated fields as Search does (1,000 values each, 64 labels). */
class WatchFilterLimitsTest {

    @RegisterExtension
    static final PerClassServer server = new PerClassServer();

    private static WatchExecutionsRequest withIds(int count) {
        ExecutionFilter.Builder filter = ExecutionFilter.newBuilder();
        for (int i = 0; i < count; i++) {
            filter.addIds(UUID.randomUUID().toString());
        }
        return WatchExecutionsRequest.newBuilder().setFilter(filter).build();
    }

    private static void expectInvalid(WatchExecutionsRequest request, String field) {
        var error = Errors.expect(Status.Code.INVALID_ARGUMENT,
                () -> ExecutionServiceGrpc.newBlockingStub(server.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .watchExecutions(request).hasNext());
        assertEquals(List.of(field), Errors.violatedFields(error));
    }

    @Test
    void moreThanAThousandIdsIsInvalidArgument() {
        expectInvalid(withIds(1001), "filter.ids");
        expectInvalid(withIds(100_000), "filter.ids");
    }

    @Test
    void moreThanAThousandPipelinesIsInvalidArgument() {
        ExecutionFilter.Builder filter = ExecutionFilter.newBuilder();
        for (int i = 0; i < 1001; i++) {
            filter.addPipelines("p" + i);
        }
        expectInvalid(WatchExecutionsRequest.newBuilder().setFilter(filter).build(), "filter.pipelines");
    }

    @Test
    void moreLabelsThanAnExecutionMayHaveIsInvalidArgument() {
        ExecutionFilter.Builder filter = ExecutionFilter.newBuilder();
        for (int i = 0; i < 65; i++) {
            filter.putLabels("k" + i, "v");
        }
        expectInvalid(WatchExecutionsRequest.newBuilder().setFilter(filter).build(), "filter.labels");
    }

    @Test
    void aThousandIdsAreWatched() throws Exception {
        StreamRecorder<WatchExecutionsResponse> recorder = new StreamRecorder<>();
        Context.CancellableContext context = Context.current().withCancellation();
        try {
            context.run(() -> ExecutionServiceGrpc.newStub(server.channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .watchExecutions(withIds(1000), recorder));
            server.awaitWatchers(1);
            assertFalse(recorder.ended(), "the stream is open");
        } finally {
            context.cancel(null);
        }
    }
}
