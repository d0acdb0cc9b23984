package dev.runplane.server.grpc;

import dev.runplane.server.core.Event;
import dev.runplane.v1.ExecutionEvent;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One event fans out to every watcher that matches it; converting it to protobuf once instead of
 * once per watcher keeps 1,000 watchers from costing 1,000 conversions. A small ring indexed by
 * sequence: a slot holds the latest event converted for it, so a lookup hits while the fan-out of
 * that event is under way, and a miss merely converts again.
 */
final class SharedEventProtos {

    private static final int SLOTS = 4096;

    private record Slot(long sequence, ExecutionEvent proto) {
    }

    private final AtomicReferenceArray<Slot> slots = new AtomicReferenceArray<>(SLOTS);

    ExecutionEvent toProto(Event event) {
        int index = (int) Math.floorMod(event.sequence(), (long) SLOTS);
        Slot slot = slots.get(index);
        if (slot != null && slot.sequence() == event.sequence()) {
            return slot.proto();
        }
        ExecutionEvent proto = ProtoMapper.toProto(event);
        slots.set(index, new Slot(event.sequence(), proto));
        return proto;
    }
}
