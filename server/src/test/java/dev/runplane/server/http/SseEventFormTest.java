package dev.runplane.server.http;

import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.runplane.v1.Execution;
import dev.runplane.v1.ExecutionEvent;
import dev.runplane.v1.SnapshotComplete;
import dev.runplane.v1.StreamHeartbeat;
import dev.runplane.v1.WatchExecutionRequest;
import dev.runplane.v1.WatchExecutionResponse;
import dev.runplane.v1.WatchExecutionsRequest;
import dev.runplane.v1.WatchExecutionsResponse;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SSE's form for every kind of watch message, read from the descriptors alone: the event's name is
 * the set field's, the id is the field that the request's after_* names (snapshot rows have none),
 * and Last-Event-ID fills after_* and turns snapshot off. (The streams' own tests send events over a
 * real port; these cover the message kinds of issue 19 whatever branch serves them.)
 */
class SseEventFormTest {

    private static String format(Message response, Message request) throws Exception {
        var resume = SseHandler.resumeField(request.getDescriptorForType());
        String key = resume.getName().substring("after_".length());
        return SseHandler.format(DynamicMessage.parseFrom(response.getDescriptorForType(), response.toByteString()), key);
    }

    @Test
    void watchExecutionsNamesEachFieldAndItsSequence() throws Exception {
        WatchExecutionsRequest request = WatchExecutionsRequest.getDefaultInstance();
        String event = format(WatchExecutionsResponse.newBuilder().setEvent(ExecutionEvent.newBuilder().setSequence(41)
                .setRevision(3).setExecutionId("e")).build(), request);
        assertTrue(event.startsWith("event: event\nid: 41\ndata: {"), event);
        assertTrue(event.endsWith("}\n\n") && event.split("\n").length == 3, "data on one line: " + event);

        String snapshot = format(WatchExecutionsResponse.newBuilder().setSnapshot(Execution.newBuilder().setId("e")
                .setRevision(7)).build(), request);
        assertTrue(snapshot.startsWith("event: snapshot\ndata: "), "a snapshot row has no resume point: " + snapshot);

        assertTrue(format(WatchExecutionsResponse.newBuilder().setSnapshotComplete(SnapshotComplete.newBuilder()
                .setSequence(99).setCount(2)).build(), request).startsWith("event: snapshot_complete\nid: 99\n"));
        assertTrue(format(WatchExecutionsResponse.newBuilder().setHeartbeat(StreamHeartbeat.newBuilder()
                .setSequence(100)).build(), request).startsWith("event: heartbeat\nid: 100\n"));
    }

    @Test
    void watchExecutionResumesByRevision() throws Exception {
        WatchExecutionRequest request = WatchExecutionRequest.getDefaultInstance();
        assertTrue(format(WatchExecutionResponse.newBuilder().setEvent(ExecutionEvent.newBuilder().setSequence(41)
                .setRevision(3)).build(), request).startsWith("event: event\nid: 3\n"));
        assertTrue(format(WatchExecutionResponse.newBuilder().setHeartbeat(StreamHeartbeat.newBuilder()
                .setRevision(3)).build(), request).startsWith("event: heartbeat\nid: 3\n"));
    }

    @Test
    void lastEventIdWinsAndTurnsTheSnapshotOff() throws Exception {
        WatchExecutionsRequest asked = WatchExecutionsRequest.newBuilder().setSnapshot(true).setAfterSequence(5).build();
        DynamicMessage.Builder request = DynamicMessage.newBuilder(asked.getDescriptorForType())
                .mergeFrom(asked.toByteString());
        SseHandler.resume(request, SseHandler.resumeField(asked.getDescriptorForType()), "123");
        WatchExecutionsRequest sent = WatchExecutionsRequest.parseFrom(request.build().toByteString());
        assertEquals(123, sent.getAfterSequence());
        assertFalse(sent.getSnapshot());

        DynamicMessage.Builder same = DynamicMessage.newBuilder(asked.getDescriptorForType()).mergeFrom(asked.toByteString());
        SseHandler.resume(same, SseHandler.resumeField(asked.getDescriptorForType()), null);
        assertTrue(WatchExecutionsRequest.parseFrom(same.build().toByteString()).getSnapshot(), "no reconnect: as asked");
        assertThrows(RuntimeException.class, () -> SseHandler.resume(same,
                SseHandler.resumeField(asked.getDescriptorForType()), "yesterday"));
    }
}
