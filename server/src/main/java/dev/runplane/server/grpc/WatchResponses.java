package dev.runplane.server.grpc;

import dev.runplane.server.core.WatchMessage;
import dev.runplane.v1.SnapshotComplete;
import dev.runplane.v1.StreamHeartbeat;
import dev.runplane.v1.WatchExecutionResponse;
import dev.runplane.v1.WatchExecutionsResponse;
import java.time.Instant;

/** The messages of the two watch streams as their responses: exactly one field set in each. */
final class WatchResponses {

    private final SharedEventProtos eventProtos = new SharedEventProtos();

    WatchExecutionsResponse executions(WatchMessage message) {
        WatchExecutionsResponse.Builder response = WatchExecutionsResponse.newBuilder();
        if (message instanceof WatchMessage.Change change) {
            response.setEvent(eventProtos.toProto(change.event()));
        } else if (message instanceof WatchMessage.SnapshotRow row) {
            response.setSnapshot(ProtoMapper.toProto(row.execution(), Instant.now()));
        } else if (message instanceof WatchMessage.SnapshotEnd end) {
            response.setSnapshotComplete(SnapshotComplete.newBuilder().setSequence(end.sequence())
                    .setCount(end.count()).setTruncated(end.truncated()));
        } else if (message instanceof WatchMessage.Heartbeat beat) {
            response.setHeartbeat(heartbeat(beat));
        }
        return response.build();
    }

    WatchExecutionResponse execution(WatchMessage message) {
        WatchExecutionResponse.Builder response = WatchExecutionResponse.newBuilder();
        if (message instanceof WatchMessage.Change change) {
            response.setEvent(eventProtos.toProto(change.event()));
        } else if (message instanceof WatchMessage.Heartbeat beat) {
            response.setHeartbeat(heartbeat(beat));
        } else {
            throw new IllegalStateException("not a WatchExecution message: " + message);
        }
        return response.build();
    }

    private static StreamHeartbeat heartbeat(WatchMessage.Heartbeat beat) {
        return StreamHeartbeat.newBuilder().setTime(ProtoMapper.timestamp(beat.time()))
                .setSequence(beat.sequence()).setRevision(beat.revision()).build();
    }
}
