package dev.runplane.server;

import dev.runplane.server.core.Limits;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything a server needs to start, with the defaults that the launcher documents.
 *
 * @param databaseUrl an R2DBC URL; null starts the embedded PostgreSQL in {@code dataDir}
 * @param durableEmbedded false only in tests (fsync off for speed)
 */
public record ServerConfig(String bind, int port, Path dataDir, String databaseUrl, int poolSize,
                           boolean durableEmbedded, Duration drainTime, Limits limits) {

    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 50051, Path.of("runplane-data"), null, 16, true, Duration.ofSeconds(10),
                Limits.DEFAULT);
    }

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(bind, newPort, dataDir, databaseUrl, poolSize, durableEmbedded, drainTime, limits);
    }

    public ServerConfig withDataDir(Path newDataDir) {
        return new ServerConfig(bind, port, newDataDir, databaseUrl, poolSize, durableEmbedded, drainTime, limits);
    }

    public ServerConfig withDatabaseUrl(String newUrl) {
        return new ServerConfig(bind, port, dataDir, newUrl, poolSize, durableEmbedded, drainTime, limits);
    }

    public ServerConfig withDurableEmbedded(boolean durable) {
        return new ServerConfig(bind, port, dataDir, databaseUrl, poolSize, durable, drainTime, limits);
    }
}
