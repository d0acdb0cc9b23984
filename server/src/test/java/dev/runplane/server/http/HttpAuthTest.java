package dev.runplane.server.http;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.ErrorInfo;
import dev.runplane.server.core.auth.ApiKeyTokens;
import dev.runplane.server.security.AuthGroup;
import dev.runplane.server.store.db.DatabaseAddress;
import dev.runplane.server.testing.Curl;
import dev.runplane.server.testing.Errors;
import dev.runplane.server.testing.Keys;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.CreateKeyRequest;
import dev.runplane.v1.KeyScope;
import dev.runplane.v1.KeyServiceGrpc;
import dev.runplane.v1.RevokeKeyRequest;
import dev.runplane.v1.RunRequest;
import dev.runplane.v1.ExecutionServiceGrpc;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Auth and scopes over HTTP are gRPC's: every case of AuthTest's table ({@link AuthGroup}) is called
 * over gRPC and over HTTP (Connect JSON, the same request), and both answer the same: the same code,
 * the same ErrorInfo reason, or both pass.
 */
class HttpAuthTest {

    private static TestServer server;
    private static final Map<String, String> executionOf = new HashMap<>();
    private static String admin;
    private static String expired;
    private static String revoked;
    private static String restricted;

    /** What a call answered: "ok", or the Connect code and the ErrorInfo reason. */
    record Outcome(String code, String reason) {
        static final Outcome OK = new Outcome("ok", null);
    }

    @BeforeAll
    static void start() {
        DatabaseAddress database = TestPostgres.newDatabase();
        server = TestServer.startWithHttp(database, HttpConfig.onPort(0));
        for (String pipeline : List.of("allowed", "other")) {
            executionOf.put(pipeline, server.executions().run(RunRequest.newBuilder().setPipeline(pipeline).build())
                    .getExecution().getId());
        }
        admin = create(null, List.of(KeyScope.KEY_SCOPE_ADMIN), List.of(), null);
        expired = create(admin, all(), List.of(), Durations.fromMillis(1));
        revoked = create(admin, all(), List.of(), null);
        restricted = create(admin, all(), List.of("allowed"), null);
        Keys.withKey(KeyServiceGrpc.newBlockingStub(server.channel()), admin).revokeKey(RevokeKeyRequest.newBuilder()
                .setId(ApiKeyTokens.parseAuthorization("Bearer " + revoked).id()).build());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    private static List<KeyScope> all() {
        return List.of(KeyScope.KEY_SCOPE_READ, KeyScope.KEY_SCOPE_RUN, KeyScope.KEY_SCOPE_WORK, KeyScope.KEY_SCOPE_ADMIN);
    }

    private static String create(String adminToken, List<KeyScope> scopes, List<String> pipelines,
                                 com.google.protobuf.Duration expiresIn) {
        CreateKeyRequest.Builder request = CreateKeyRequest.newBuilder().addAllScopes(scopes).addAllPipelines(pipelines);
        if (expiresIn != null) {
            request.setExpiresIn(expiresIn);
        }
        return Keys.withKey(KeyServiceGrpc.newBlockingStub(server.channel()), adminToken).createKey(request.build())
                .getToken();
    }

    private static Outcome overGrpc(AuthGroup group, List<String> authorizations, String pipeline) {
        Metadata headers = new Metadata();
        authorizations.forEach(a -> headers.put(Keys.AUTHORIZATION, a));
        Channel channel = ClientInterceptors.intercept(server.channel(), MetadataUtils.newAttachHeadersInterceptor(headers));
        try {
            group.call(channel, null, executionOf, pipeline);
            return Outcome.OK;
        } catch (StatusRuntimeException e) {
            return new Outcome(ConnectErrors.code(e.getStatus().getCode()),
                    Errors.errorInfo(e).map(ErrorInfo::getReason).orElse(null));
        }
    }

    private static Outcome overHttp(AuthGroup group, List<String> authorizations, String pipeline) throws Exception {
        List<String> headers = new ArrayList<>();
        authorizations.forEach(a -> headers.addAll(List.of("Authorization", a)));
        String json = JsonFormat.printer().print(group.request(executionOf, pipeline));
        HttpResponse<String> response = Curl.postJson(server.http().resolve("/" + group.fullMethodName()), json,
                headers.toArray(String[]::new));
        if (response.statusCode() == 200) {
            return Outcome.OK;
        }
        JsonObject error = JsonParser.parseString(response.body()).getAsJsonObject();
        String code = error.get("code").getAsString();
        String reason = null;
        for (JsonElement detail : error.has("details") ? error.getAsJsonArray("details") : new com.google.gson.JsonArray()) {
            JsonObject d = detail.getAsJsonObject();
            if (d.get("type").getAsString().equals("google.rpc.ErrorInfo")) {
                reason = d.getAsJsonObject("debug").get("reason").getAsString();
            }
        }
        assertEquals(Arrays.stream(io.grpc.Status.Code.values()).filter(c -> ConnectErrors.code(c).equals(code))
                .map(ConnectErrors::httpStatus).findFirst().orElseThrow(), response.statusCode(), response.body());
        return new Outcome(code, reason);
    }

    private static void same(AuthGroup group, String pipeline, Outcome expected, String... authorizations)
            throws Exception {
        // A Poll that passes claims work: one queued execution for each transport, so neither waits.
        for (int i = 0; i < 2; i++) {
            Keys.withKey(ExecutionServiceGrpc.newBlockingStub(server.channel()), restricted)
                    .run(RunRequest.newBuilder().setPipeline("allowed").build());
        }
        Outcome grpc = overGrpc(group, List.of(authorizations), pipeline);
        Outcome http = overHttp(group, List.of(authorizations), pipeline);
        assertEquals(expected, grpc, "over gRPC, " + Arrays.toString(authorizations));
        assertEquals(grpc, http, "over HTTP as over gRPC, " + Arrays.toString(authorizations));
    }

    @ParameterizedTest
    @EnumSource(AuthGroup.class)
    void everyCaseAnswersAsOverGrpc(AuthGroup group) throws Exception {
        same(group, "allowed", new Outcome("unauthenticated", "API_KEY_MISSING"));
        same(group, "allowed", new Outcome("unauthenticated", "API_KEY_MALFORMED"), "Bearer not-a-key");
        same(group, "allowed", new Outcome("unauthenticated", "API_KEY_MALFORMED"), "Basic " + admin);
        same(group, "allowed", new Outcome("unauthenticated", "API_KEY_UNKNOWN"), "Bearer " + ApiKeyTokens.generate().text());
        same(group, "allowed", new Outcome("unauthenticated", "API_KEY_EXPIRED"), "Bearer " + expired);
        same(group, "allowed", new Outcome("unauthenticated", "API_KEY_REVOKED"), "Bearer " + revoked);
        same(group, "allowed", new Outcome("unauthenticated", "API_KEY_AMBIGUOUS"), "Bearer " + admin, "Bearer " + admin);
        List<KeyScope> others = all().stream().filter(s -> s != group.scope).toList();
        same(group, "allowed", new Outcome("permission_denied", "MISSING_SCOPE"), "Bearer " + create(admin, others,
                List.of(), null));
        same(group, "other", new Outcome("permission_denied", "PIPELINE_NOT_ALLOWED"), "Bearer " + restricted);
        same(group, "allowed", Outcome.OK, "Bearer " + create(admin, List.of(group.scope), List.of(), null));
    }
}
