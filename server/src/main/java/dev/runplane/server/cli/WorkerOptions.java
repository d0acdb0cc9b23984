package dev.runplane.server.cli;

import dev.runplane.server.core.WorkerSettings;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The reaper's and retries' timings as launcher flags (README "Configuration", docs/workers.md "The reaper"). */
final class WorkerOptions {

    @Option(names = "--reaper-interval", defaultValue = "${env:RUNPLANE_REAPER_INTERVAL:-1s}",
            converter = Durations.Converter.class,
            description = "How often each replica hands expired leases back, times out executions past their max "
                    + "runtime and ends overdue cancels (env RUNPLANE_REAPER_INTERVAL; default ${DEFAULT-VALUE}).")
    Duration reaperInterval;

    @Option(names = "--cancel-grace", defaultValue = "${env:RUNPLANE_CANCEL_GRACE:-30s}",
            converter = Durations.Converter.class,
            description = "How long a CANCELLING execution waits for its worker to stop before it is CANCELLED anyway "
                    + "(env RUNPLANE_CANCEL_GRACE; default ${DEFAULT-VALUE}).")
    Duration cancelGrace;

    @Option(names = "--retry-base-delay", defaultValue = "${env:RUNPLANE_RETRY_BASE_DELAY:-1s}",
            converter = Durations.Converter.class,
            description = "Delay before the first retry of a failed or lost attempt; each later one doubles it "
                    + "(env RUNPLANE_RETRY_BASE_DELAY; default ${DEFAULT-VALUE}).")
    Duration retryBaseDelay;

    @Option(names = "--retry-max-delay", defaultValue = "${env:RUNPLANE_RETRY_MAX_DELAY:-5m}",
            converter = Durations.Converter.class,
            description = "The longest delay between attempts (env RUNPLANE_RETRY_MAX_DELAY; default ${DEFAULT-VALUE}).")
    Duration retryMaxDelay;

    /** A reaper that ran more often would mostly run empty statements on every replica. */
    private static final Duration MIN_REAPER_INTERVAL = Duration.ofMillis(100);

    /** The settings, or a usage error naming the flag that is out of range. */
    WorkerSettings toSettings(CommandLine commandLine) {
        if (reaperInterval.compareTo(MIN_REAPER_INTERVAL) < 0) {
            throw new CommandLine.ParameterException(commandLine, "--reaper-interval must be at least 100ms");
        }
        positive(commandLine, "--retry-base-delay", retryBaseDelay);
        if (cancelGrace.isNegative()) {
            throw new CommandLine.ParameterException(commandLine, "--cancel-grace must not be negative");
        }
        if (retryMaxDelay.compareTo(retryBaseDelay) < 0) {
            throw new CommandLine.ParameterException(commandLine, "--retry-max-delay (" + retryMaxDelay
                    + ") must not be shorter than --retry-base-delay (" + retryBaseDelay + ")");
        }
        return new WorkerSettings(reaperInterval, cancelGrace, retryBaseDelay, retryMaxDelay,
                WorkerSettings.DEFAULT.wakeUpFallback());
    }

    private static void positive(CommandLine commandLine, String flag, Duration value) {
        if (value.isZero() || value.isNegative()) {
            throw new CommandLine.ParameterException(commandLine, flag + " must be positive");
        }
    }
}
