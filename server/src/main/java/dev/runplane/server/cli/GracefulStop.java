package dev.runplane.server.cli;

import dev.runplane.server.Application;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT: the first begins a graceful stop (the JVM's shutdown hooks run
 * {@link Application#close()}); a second one cuts the drain short. The JVM alone would ignore a
 * second signal while its hooks run.
 */
final class GracefulStop {

    private static final Logger log = LoggerFactory.getLogger(GracefulStop.class);

    private GracefulStop() {
    }

    static void install(Application app) {
        java.util.concurrent.atomic.AtomicInteger signals = new java.util.concurrent.atomic.AtomicInteger();
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    if (signals.incrementAndGet() == 1) {
                        log.info("SIG{} received: stopping gracefully (send it again to stop at once)", name);
                        new Thread(() -> System.exit(0), "runplane-exit").start();
                    } else {
                        log.warn("SIG{} received again: stopping at once", name);
                        app.stopNow();
                    }
                });
            } catch (IllegalArgumentException unsupported) {
                log.debug("Cannot handle SIG{} here; the JVM default applies", name);
            }
        }
    }
}
