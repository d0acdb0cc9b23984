package dev.runplane.server.security;

import com.google.protobuf.util.Durations;
import com.google.rpc.ErrorInfo;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.core.auth.ApiKeyTokens;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Eventually;
import dev.runplane.server.testing.Keys;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.AwaitExecutionRequest;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.CreateKeyResponse;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.GetExecutionRequest;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.ListKeysRequest;
import dev.runplane.v1.PollRequest;
import dev.runplane.v1.RevokeKeyRequest;
import dev.runplane.v1.RunBatchRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.RunResult;
import dev.runplane.v1.WorkerServiceGrpc;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every auth case against each RPC group of {@link AuthGroup} (ExecutionService read and run,
 * WorkerService, KeyService), on two replicas of one database; HttpAuthTest holds HTTP to the same table. What a pipeline-restricted key may do RPC by RPC is
 * {@link PipelineRestrictedKeyTest}'s subject.
 */
class AuthTest {

    private static DatabaseAddress database;
    private static TestServer server;
    private static TestServer replica;
    private static String admin;
    /** An execution of each pipeline that the groups name ("allowed" and "other"), by pipeline. */
    private static final java.util.Map<String, String> executionOf = new java.util.HashMap<>();
    private static String expired;
    private static String revoked;
    private static String restricted;

    @BeforeAll
    static void start() throws Exception {
        database = TestPostgres.newDatabase();
        server = TestServer.start(database);
        replica = TestServer.start(database);
        // The loopback bootstrap: no key exists yet, so a local call needs none.
        for (String pipeline : List.of("allowed", "other")) {
            executionOf.put(pipeline, server.executions().run(RunRequest.newBuilder().setPipeline(pipeline).build())
                    .getExecution().getId());
        }
        admin = create(null, List.of(KeyScope.KEY_SCOPE_ADMIN), List.of(), null).getToken();
        expired = create(admin, allScopes(), List.of(), Durations.fromMillis(1)).getToken();
        revoked = create(admin, allScopes(), List.of(), null).getToken();
        restricted = create(admin, allScopes(), List.of("allowed"), null).getToken();
        revoke(admin, idOf(revoked));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        replica.close();
        server.close();
    }

    private static List<KeyScope> allScopes() {
        return List.of(KeyScope.KEY_SCOPE_READ, KeyScope.KEY_SCOPE_RUN, KeyScope.KEY_SCOPE_WORK,
                KeyScope.KEY_SCOPE_ADMIN);
    }

    static CreateKeyResponse create(String adminToken, List<KeyScope> scopes, List<String> pipelines,
                                    com.google.protobuf.Duration expiresIn) {
        CreateKeyRequest.Builder request = CreateKeyRequest.newBuilder().addAllScopes(scopes)
                .addAllPipelines(pipelines).setDescription("test");
        if (expiresIn != null) {
            request.setExpiresIn(expiresIn);
        }
        return Keys.withKey(KeyServiceGrpc.newBlockingStub(server.channel()), adminToken)
                .withDeadlineAfter(10, TimeUnit.SECONDS).createKey(request.build());
    }

    static void revoke(String adminToken, String id) {
        Keys.withKey(KeyServiceGrpc.newBlockingStub(server.channel()), adminToken)
                .withDeadlineAfter(10, TimeUnit.SECONDS).revokeKey(RevokeKeyRequest.newBuilder().setId(id).build());
    }

    static String idOf(String token) {
        return ApiKeyTokens.parseAuthorization("Bearer " + token).id();
    }

    /** Calls and asserts the call got past authentication and authorization. */
    private static void callValid(AuthGroup group, Channel channel, String token) {
        group.call(channel, "Bearer " + token, executionOf, "allowed");
    }

    private static void expectUnauthenticated(AuthGroup group, String authorization, String reason) {
        StatusRuntimeException error = Errors.expect(Status.Code.UNAUTHENTICATED,
                () -> group.call(server.channel(), authorization, executionOf, "allowed"));
        assertEquals(reason, Errors.errorInfo(error).map(ErrorInfo::getReason).orElse(null));
    }

    @ParameterizedTest
    @EnumSource(AuthGroup.class)
    void noKeyIsUnauthenticatedOnceAKeyExists(AuthGroup group) {
        expectUnauthenticated(group, null, "API_KEY_MISSING");
    }

    @ParameterizedTest
    @EnumSource(AuthGroup.class)
    void malformedKeyIsUnauthenticated(AuthGroup group) {
        expectUnauthenticated(group, "Bearer not-a-key", "API_KEY_MALFORMED");
        expectUnauthenticated(group, "Basic " + admin, "API_KEY_MALFORMED");
        expectUnauthenticated(group, "Bearer rpk_abc", "API_KEY_MALFORMED");
    }

    /** Two authorization headers are ambiguous, even when both hold valid keys (or the same one). */
    @ParameterizedTest
    @EnumSource(AuthGroup.class)
    void twoAuthorizationHeadersAreUnauthenticated(AuthGroup group) {
        String other = create(admin, allScopes(), List.of(), null).getToken();
        for (List<String> values : List.of(List.of(admin, other), List.of(other, admin), List.of(other, other))) {
            Metadata headers = new Metadata();
            values.forEach(token -> headers.put(Keys.AUTHORIZATION, "Bearer " + token));
            Channel twice = ClientInterceptors.intercept(server.channel(),
                    MetadataUtils.newAttachHeadersInterceptor(headers));
            StatusRuntimeException error = Errors.expect(Status.Code.UNAUTHENTICATED,
                    () -> group.call(twice, null, executionOf, "allowed"));
            assertEquals("API_KEY_AMBIGUOUS", Errors.errorInfo(error).map(ErrorInfo::getReason).orElse(null));
        }
    }

    @ParameterizedTest
    @EnumSource(AuthGroup.class)
    void unknownKeyIsUnauthenticated(AuthGroup group) {
        expectUnauthenticated(group, "Bearer " + ApiKeyTokens.generate().text(), "API_KEY_UNKNOWN");
        // A known id with a wrong secret is as unknown as an unknown id.
        expectUnauthenticated(group, "Bearer rpk_" + idOf(admin) + "_" + ApiKeyTokens.generate().secret(),
                "API_KEY_UNKNOWN");
    }

    @ParameterizedTest
    @EnumSource(AuthGroup.class)
    void expiredKeyIsUnauthenticated(AuthGroup group) {
        expectUnauthenticated(group, "Bearer " + expired, "API_KEY_EXPIRED");
    }

    @ParameterizedTest
    @EnumSource(AuthGroup.class)
    void revokedKeyIsUnauthenticated(AuthGroup group) {
        expectUnauthenticated(group, "Bearer " + revoked, "API_KEY_REVOKED");
    }

    @ParameterizedTest
    @EnumSource(AuthGroup.class)
    void missingScopeIsPermissionDeniedNamingTheScope(AuthGroup group) {
        List<KeyScope> others = allScopes().stream().filter(s -> s != group.scope).toList();
        String token = create(admin, others, List.of(), null).getToken();
        StatusRuntimeException error = Errors.expect(Status.Code.PERMISSION_DENIED,
                () -> group.call(server.channel(), "Bearer " + token, executionOf, "allowed"));
        ErrorInfo info = Errors.errorInfo(error).orElseThrow();
        assertEquals("MISSING_SCOPE", info.getReason());
        assertEquals(group.scopeName(), info.getMetadataOrThrow("missing"));
        assertTrue(error.getStatus().getDescription().contains(group.scopeName()));
    }

    @ParameterizedTest
    @EnumSource(AuthGroup.class)
    void pipelineNotAllowedIsPermissionDenied(AuthGroup group) {
        StatusRuntimeException error = Errors.expect(Status.Code.PERMISSION_DENIED,
                () -> group.call(server.channel(), "Bearer " + restricted, executionOf, "other"));
        assertEquals("PIPELINE_NOT_ALLOWED", Errors.errorInfo(error).orElseThrow().getReason());
    }

    @ParameterizedTest
    @EnumSource(AuthGroup.class)
    void validKeyWithTheScopePasses(AuthGroup group) {
        String token = create(admin, List.of(group.scope), List.of(), null).getToken();
        callValid(group, server.channel(), token);
        callValid(group, replica.channel(), token);
    }

    @Test
    void pipelineRestrictedKeyRunsItsPipeline() {
        String id = Keys.withKey(ExecutionServiceGrpc.newBlockingStub(server.channel()), restricted)
                .run(RunRequest.newBuilder().setPipeline("allowed").build()).getExecution().getId();
        assertFalse(id.isEmpty());
        callValid(AuthGroup.WORK, server.channel(), restricted);
    }

    @Test
    void aRunBatchOfARestrictedKeyPassesOnlyIfEveryRunIsInItsPipelines() throws Exception {
        var stub = Keys.withKey(ExecutionServiceGrpc.newBlockingStub(server.channel()), restricted);
        RunRequest allowed = RunRequest.newBuilder().setPipeline("allowed").build();
        RunRequest other = RunRequest.newBuilder().setPipeline("other").build();
        StatusRuntimeException error = Errors.expect(Status.Code.PERMISSION_DENIED,
                () -> stub.runBatch(RunBatchRequest.newBuilder().addRuns(allowed).addRuns(other).build()));
        assertEquals("PIPELINE_NOT_ALLOWED", Errors.errorInfo(error).orElseThrow().getReason());
        assertEquals("other", Errors.errorInfo(error).orElseThrow().getMetadataOrThrow("missing"));
        assertTrue(stub.runBatch(RunBatchRequest.newBuilder().addRuns(allowed).addRuns(allowed).build())
                .getResultsList().stream().allMatch(RunResult::hasExecution));
    }

    @Test
    void revocationReachesTheOtherReplicaWithinFiveSeconds() throws InterruptedException {
        String token = create(admin, allScopes(), List.of(), null).getToken();
        callValid(AuthGroup.RUN, replica.channel(), token); // the replica has now cached the key as valid
        revoke(admin, idOf(token)); // through the first replica
        Instant revokedAt = Instant.now();
        AtomicReference<StatusRuntimeException> refused = new AtomicReference<>();
        Eventually.within(Duration.ofSeconds(5), () -> {
            try {
                AuthGroup.RUN.call(replica.channel(), "Bearer " + token, executionOf, "allowed");
                return false;
            } catch (StatusRuntimeException e) {
                refused.set(e);
                return true;
            }
        });
        StatusRuntimeException last = refused.get();
        assertTrue(last != null, "the revoked key still worked on the replica 5 s after its revocation");
        assertEquals(Status.Code.UNAUTHENTICATED, last.getStatus().getCode());
        assertTrue(Duration.between(revokedAt, Instant.now()).toMillis() < 5000);
    }

    @Test
    void healthIsOpenWithoutAKey() {
        HealthCheckResponse response = HealthGrpc.newBlockingStub(server.channel())
                .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, response.getStatus());
    }

    @Test
    void reflectionIsOpenByDefault() throws Exception {
        assertTrue(Reflection.listServices(server.channel(), null).contains("runplane.v1.KeyService"));
    }

    @Test
    void reflectionCanBePutBehindRead() throws Exception {
        try (TestServer protectedServer = TestServer.start(database,
                OperationsConfig.defaults().withProtectReflection(true))) {
            StatusRuntimeException error = Errors.expect(Status.Code.UNAUTHENTICATED,
                    () -> Reflection.listServices(protectedServer.channel(), null));
            assertEquals("API_KEY_MISSING", Errors.errorInfo(error).orElseThrow().getReason());
            String reader = create(admin, List.of(KeyScope.KEY_SCOPE_READ), List.of(), null).getToken();
            assertTrue(Reflection.listServices(protectedServer.channel(), reader).contains("runplane.v1.ExecutionService"));
        }
    }

    @Test
    void storedRowHoldsOnlyAHashOfTheSecret() throws Exception {
        CreateKeyResponse created = create(admin, List.of(KeyScope.KEY_SCOPE_READ), List.of("allowed"), null);
        String secret = created.getToken().substring(created.getToken().lastIndexOf('_') + 1);
        assertEquals(43, secret.length());
        StringBuilder row = new StringBuilder();
        byte[] stored;
        try (Connection c = TestPostgres.jdbc(database); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM api_keys WHERE id = '" + created.getKey().getId() + "'")) {
            assertTrue(rs.next());
            ResultSetMetaData meta = rs.getMetaData();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                Object value = rs.getObject(i);
                row.append(value instanceof byte[] bytes ? HexFormat.of().formatHex(bytes) : String.valueOf(value))
                        .append('|');
            }
            stored = rs.getBytes("secret_sha256");
        }
        assertFalse(row.toString().contains(secret), "the row holds the secret: " + row);
        assertArrayEquals(ApiKeyTokens.sha256(secret), stored);
        // Listing never shows a secret either.
        String listed = Keys.withKey(KeyServiceGrpc.newBlockingStub(server.channel()), admin)
                .listKeys(ListKeysRequest.newBuilder().setIncludeRevoked(true).build()).toString();
        assertFalse(listed.contains(secret));
        assertTrue(listed.contains(created.getKey().getId()));
    }
}
