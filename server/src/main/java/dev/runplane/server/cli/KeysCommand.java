package dev.runplane.server.cli;

import com.google.protobuf.util.Timestamps;
import dev.runplane.v1.ApiKey;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.CreateKeyResponse;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.ListKeysRequest;
import dev.runplane.v1.RevokeKeyRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code runplane keys create|list|revoke}: key management through the server's KeyService. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Create, list and revoke API keys.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
public final class KeysCommand implements Runnable {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: create, list or revoke");
    }

    /** Runs one call with a fresh channel; a gRPC error becomes one line on stderr and exit code 1. */
    static int withKeyService(CommandLine.Model.CommandSpec spec, ClientOptions client,
                    Function<KeyServiceGrpc.KeyServiceBlockingStub, Integer> work) {
        ManagedChannel channel;
        try {
            channel = client.channel();
        } catch (RuntimeException e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
            return 2;
        }
        try {
            return work.apply(KeyServiceGrpc.newBlockingStub(channel).withInterceptors(client.keyInterceptor())
                    .withDeadlineAfter(30, TimeUnit.SECONDS));
        } catch (StatusRuntimeException e) {
            spec.commandLine().getErr().println("error: " + e.getStatus().getCode() + ": "
                    + e.getStatus().getDescription());
            return 1;
        } finally {
            channel.shutdownNow();
        }
    }

    /** What the first key changes, said where it is made: keyless workers stop claiming work. */
    static final String FIRST_KEY = "This is the first key: the loopback bootstrap is over, and from now on every call"
            + " needs a key. Workers started without one are refused and claim nothing (queued work waits):"
            + " restart them with RUNPLANE_API_KEY set to a key with the work scope"
            + " (keys create --scopes work [--pipeline NAME]).";

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Creates a key and prints it (rpk_<id>_<secret>) on a line of its own: it is shown only once.")
    static final class Create implements Callable<Integer> {
        @Mixin
        ClientOptions client;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--scopes", split = ",", required = true, description = "read, run, work, admin (comma-separated).")
        List<String> scopes;

        @Option(names = "--pipeline", description = "Allow only this pipeline (repeatable).")
        List<String> pipelines = new ArrayList<>();

        @Option(names = "--expires-in", description = "Lifetime, e.g. 30d or 12h; default: never expires.")
        String expiresIn;

        @Option(names = "--description", defaultValue = "", description = "Who holds the key and why.")
        String description;

        @Override
        public Integer call() {
            CreateKeyRequest.Builder request = CreateKeyRequest.newBuilder().addAllPipelines(pipelines)
                    .setDescription(description);
            for (String scope : scopes) {
                try {
                    request.addScopes(KeyScope.valueOf("KEY_SCOPE_" + scope.strip().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "unknown scope '" + scope + "' (read, run, work, admin)");
                }
            }
            if (expiresIn != null) {
                Duration lifetime = Durations.parse(expiresIn);
                request.setExpiresIn(com.google.protobuf.util.Durations.fromMillis(lifetime.toMillis()));
            }
            return withKeyService(spec, client, stub -> {
                CreateKeyResponse created = stub.createKey(request.build());
                PrintWriter out = spec.commandLine().getOut();
                out.println(created.getToken());
                out.flush();
                spec.commandLine().getErr().println("Created key " + created.getKey().getId()
                        + ". Keep the line above secret: the server stores only a hash and cannot show it again.");
                if (!client.hasApiKey()) { // a keyless create succeeds only while no key exists
                    spec.commandLine().getErr().println(FIRST_KEY);
                }
                return 0;
            });
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists keys (never a secret).")
    static final class ListKeys implements Callable<Integer> {
        @Mixin
        ClientOptions client;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--all", description = "Also list revoked keys.")
        boolean all;

        @Override
        public Integer call() {
            return withKeyService(spec, client, stub -> {
                PrintWriter out = spec.commandLine().getOut();
                String format = "%-18s %-20s %-24s %-22s %-22s %s%n";
                out.printf(format, "ID", "SCOPES", "PIPELINES", "EXPIRES", "LAST USED", "REVOKED");
                for (ApiKey key : stub.listKeys(ListKeysRequest.newBuilder().setIncludeRevoked(all).build())
                        .getKeysList()) {
                    out.printf(format, key.getId(),
                            String.join(",", key.getScopesList().stream()
                                    .map(s -> s.name().substring("KEY_SCOPE_".length()).toLowerCase(Locale.ROOT))
                                    .toList()),
                            key.getPipelinesCount() == 0 ? "*" : String.join(",", key.getPipelinesList()),
                            key.hasExpireTime() ? Timestamps.toString(key.getExpireTime()) : "never",
                            key.hasLastUseTime() ? Timestamps.toString(key.getLastUseTime()) : "never",
                            key.hasRevokeTime() ? Timestamps.toString(key.getRevokeTime()) : "");
                }
                out.flush();
                return 0;
            });
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revokes a key; every replica refuses it within 5 seconds.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        ClientOptions client;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID", description = "The key id (the part between rpk_ and the next _).")
        String id;

        @Override
        public Integer call() {
            return withKeyService(spec, client, stub -> {
                ApiKey key = stub.revokeKey(RevokeKeyRequest.newBuilder().setId(id).build()).getKey();
                spec.commandLine().getOut().println("Revoked " + key.getId());
                spec.commandLine().getOut().flush();
                return 0;
            });
        }
    }
}
