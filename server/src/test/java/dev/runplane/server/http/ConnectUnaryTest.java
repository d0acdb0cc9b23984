package dev.runplane.server.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.rpc.BadRequest;
import dev.runplane.server.testing.Curl;
import dev.runplane.server.testing.PerClassServer;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestMethodOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every unary RPC of every service over a real HTTP port with the Connect protocol's JSON, as curl
 * sends it: one success and one error each, the HTTP status and the Connect code checked. The last
 * test checks that the cases cover every unary method that the server's descriptors have, so a new
 * RPC needs a case here. Keys come last: once one exists, every call needs one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConnectUnaryTest {

    @RegisterExtension
    static final PerClassServer server = PerClassServer.withHttp();
    private static final Set<String> succeeded = new HashSet<>();
    private static final Set<String> failed = new HashSet<>();

    private static HttpResponse<String> call(String method, String json, String... headers) {
        return Curl.postJson(server.http().resolve("/" + method), json, headers);
    }

    /** 200, application/json, the answer parsed. */
    static JsonObject ok(String method, String json, String... headers) {
        HttpResponse<String> response = call(method, json, headers);
        assertEquals(200, response.statusCode(), method + ": " + response.body());
        assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
        succeeded.add(method);
        return JsonParser.parseString(response.body()).getAsJsonObject();
    }

    /** The HTTP status and the Connect code of an error; the error JSON. */
    static JsonObject error(String method, String json, int status, String code, String... headers) {
        HttpResponse<String> response = call(method, json, headers);
        assertEquals(status, response.statusCode(), method + ": " + response.body());
        assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
        JsonObject error = JsonParser.parseString(response.body()).getAsJsonObject();
        assertEquals(code, error.get("code").getAsString(), response.body());
        assertTrue(error.has("message"), response.body());
        failed.add(method);
        return error;
    }

    /** Whether the server implements this RPC yet (an RPC of the contract may land before its service does). */
    private static boolean implemented(String method, String json) {
        try {
            MethodDescriptor<byte[], byte[]> raw = rpcs().named(method).raw();
            byte[] request = ProtoJson.toBytes(rpcs().named(method).schema().getInputType(), json);
            ClientCalls.blockingUnaryCall(server.channel(), raw, io.grpc.CallOptions.DEFAULT
                    .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS), request);
            return true;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() != Status.Code.UNIMPLEMENTED;
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static Rpcs rpcs() {
        return Rpcs.of(server.get().app().server().doorServices());
    }

    private static String run(String pipeline) {
        return ok("runplane.v1.ExecutionService/Run", "{\"pipeline\":\"" + pipeline + "\",\"inputs\":{\"day\":\"2026-12-04\"}}")
                .getAsJsonObject("execution").get("id").getAsString();
    }

    @Test
    @Order(1)
    void executionServiceRunsGetsCancelsSearchesReruns() {
        String s = "runplane.v1.ExecutionService/";
        JsonObject run = ok(s + "Run", "{\"pipeline\":\"nightly\",\"inputs\":{\"day\":\"2026-12-04\"},\"labels\":{\"twin\":\"t1\"}}");
        String id = run.getAsJsonObject("execution").get("id").getAsString();
        assertEquals("EXECUTION_STATUS_QUEUED", run.getAsJsonObject("execution").get("status").getAsString());
        assertEquals("1", run.getAsJsonObject("execution").get("revision").getAsString(), "int64 as a JSON string");

        JsonObject refused = error(s + "Run", "{\"pipeline\":\"Not Valid\"}", 400, "invalid_argument");
        JsonObject detail = refused.getAsJsonArray("details").get(0).getAsJsonObject();
        assertEquals("google.rpc.BadRequest", detail.get("type").getAsString());
        assertEquals("pipeline", detail.getAsJsonObject("debug").getAsJsonArray("fieldViolations").get(0)
                .getAsJsonObject().get("field").getAsString());
        try {
            BadRequest decoded = BadRequest.parseFrom(Base64.getDecoder().decode(detail.get("value").getAsString()));
            assertEquals("pipeline", decoded.getFieldViolations(0).getField(), "the value is the detail's protobuf");
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }

        JsonObject batch = ok(s + "RunBatch", "{\"runs\":[{\"pipeline\":\"nightly\"},{\"pipeline\":\"Not Valid\"}]}");
        assertTrue(batch.getAsJsonArray("results").get(0).getAsJsonObject().has("execution"));
        assertTrue(batch.getAsJsonArray("results").get(1).getAsJsonObject().has("error"));
        error(s + "RunBatch", "{\"runs\":[]}", 400, "invalid_argument");

        assertEquals(id, ok(s + "GetExecution", "{\"id\":\"" + id + "\"}").getAsJsonObject("execution")
                .get("id").getAsString());
        error(s + "GetExecution", "{\"id\":\"" + UUID.randomUUID() + "\"}", 404, "not_found");
        error(s + "GetExecution", "{\"id\": 12, \"unknownField\": true}", 400, "invalid_argument");

        JsonObject found = ok(s + "Search", "{\"filter\":{\"pipelines\":[\"nightly\"]},\"query\":\"t1\"}");
        assertEquals(id, found.getAsJsonArray("executions").get(0).getAsJsonObject().get("id").getAsString());
        error(s + "Search", "{\"pageSize\":-1}", 400, "invalid_argument");

        JsonObject rerun = ok(s + "Rerun", "{\"id\":\"" + id + "\"}");
        assertEquals(id, rerun.getAsJsonObject("execution").get("rerunOf").getAsString());
        error(s + "Rerun", "{\"id\":\"" + UUID.randomUUID() + "\"}", 404, "not_found");

        assertFalse(ok(s + "ListExecutionEvents", "{\"id\":\"" + id + "\"}").getAsJsonArray("events").isEmpty());
        error(s + "ListExecutionEvents", "{\"id\":\"not-a-uuid\"}", 400, "invalid_argument");

        assertEquals("EXECUTION_STATUS_CANCELLED", ok(s + "Cancel", "{\"id\":\"" + id + "\",\"reason\":\"test\"}")
                .getAsJsonObject("execution").get("status").getAsString());
        error(s + "Cancel", "{\"id\":\"" + UUID.randomUUID() + "\"}", 404, "not_found");
    }

    /** The RPCs of issue 19: over HTTP exactly what gRPC answers, implemented or not yet. */
    @Test
    @Order(2)
    void awaitQueuesAndWorkers() {
        String s = "runplane.v1.ExecutionService/";
        String id = run("awaited");
        String await = "{\"id\":\"" + id + "\",\"timeout\":\"0.2s\"}";
        for (String[] c : new String[][] {{"AwaitExecution", await}, {"ListQueues", "{}"}, {"ListWorkers", "{}"}}) {
            if (implemented(s + c[0], c[1])) {
                ok(s + c[0], c[1]);
            } else {
                error(s + c[0], c[1], 501, "unimplemented");
                succeeded.add(s + c[0]); // answered as gRPC answers it; the success case runs once it is implemented
            }
            error(s + c[0], "{\"notAField\":1}", 400, "invalid_argument");
        }
        if (implemented(s + "AwaitExecution", await)) {
            error(s + "AwaitExecution", "{\"id\":\"" + UUID.randomUUID() + "\"}", 404, "not_found");
        }
    }

    @Test
    @Order(3)
    void workerServicePollsHeartbeatsCompletesFails() {
        String w = "runplane.v1.WorkerService/";
        for (int i = 0; i < 3; i++) {
            run("http-work");
        }
        JsonObject polled = ok(w + "Poll", "{\"workerId\":\"w1\",\"pipelines\":[\"http-work\"],\"maxExecutions\":3,"
                + "\"maxWait\":\"1s\"}");
        assertEquals(3, polled.getAsJsonArray("assignments").size(), polled.toString());
        String[] leases = new String[3];
        for (int i = 0; i < 3; i++) {
            leases[i] = polled.getAsJsonArray("assignments").get(i).getAsJsonObject().getAsJsonObject("lease").toString();
        }
        error(w + "Poll", "{\"workerId\":\"w1\"}", 400, "invalid_argument");

        ok(w + "Heartbeat", "{\"lease\":" + leases[0] + ",\"message\":\"half way\"}");
        JsonObject stale = JsonParser.parseString(leases[0]).getAsJsonObject();
        stale.addProperty("token", "not-the-token");
        error(w + "Heartbeat", "{\"lease\":" + stale + "}", 409, "aborted");

        assertEquals("EXECUTION_STATUS_SUCCEEDED", ok(w + "Complete", "{\"lease\":" + leases[0]
                + ",\"outputs\":{\"rows\":3}}").getAsJsonObject("execution").get("status").getAsString());
        error(w + "Complete", "{\"lease\":" + leases[0] + "}", 409, "aborted");

        ok(w + "CompleteBatch", "{\"completions\":[{\"lease\":" + leases[1] + "}]}");
        error(w + "CompleteBatch", "{\"completions\":[]}", 400, "invalid_argument");

        assertEquals("EXECUTION_STATUS_FAILED", ok(w + "Fail", "{\"lease\":" + leases[2] + ",\"error\":\"boom\"}")
                .getAsJsonObject("execution").get("status").getAsString());
        error(w + "Fail", "{\"lease\":" + leases[2] + ",\"error\":\"again\"}", 409, "aborted");
    }

    @Test
    @Order(4)
    void health() {
        assertEquals("SERVING", ok("grpc.health.v1.Health/Check", "{}").get("status").getAsString());
        error("grpc.health.v1.Health/Check", "{\"service\":\"no.such.Service\"}", 404, "not_found");
    }

    @Test
    @Order(5)
    void keyServiceAndThenEveryCallNeedsAKey() {
        String k = "runplane.v1.KeyService/";
        error(k + "CreateKey", "{\"scopes\":[]}", 400, "invalid_argument");
        String admin = ok(k + "CreateKey", "{\"scopes\":[\"KEY_SCOPE_ADMIN\"],\"description\":\"http\"}").get("token")
                .getAsString();
        String other = ok(k + "CreateKey", "{\"scopes\":[\"KEY_SCOPE_READ\"]}",
                "Authorization", "Bearer " + admin).getAsJsonObject("key").get("id").getAsString();
        error(k + "ListKeys", "{}", 401, "unauthenticated");
        assertEquals(2, ok(k + "ListKeys", "{}", "Authorization", "Bearer " + admin).getAsJsonArray("keys").size());
        ok(k + "RevokeKey", "{\"id\":\"" + other + "\"}", "Authorization", "Bearer " + admin);
        error(k + "RevokeKey", "{\"id\":\"nope\"}", 404, "not_found", "Authorization", "Bearer " + admin);
    }

    @Test
    @Order(6)
    void everyUnaryMethodOfEveryServiceHasACase() {
        Set<String> unary = new TreeSet<>();
        for (ServerServiceDefinition service : server.get().app().server().doorServices()) {
            service.getMethods().stream().map(m -> m.getMethodDescriptor())
                    .filter(m -> m.getType() == MethodDescriptor.MethodType.UNARY)
                    .forEach(m -> unary.add(m.getFullMethodName()));
        }
        assertTrue(unary.contains("runplane.v1.ExecutionService/Run"), unary.toString());
        Set<String> noSuccess = new TreeSet<>(unary);
        noSuccess.removeAll(succeeded);
        Set<String> noError = new TreeSet<>(unary);
        noError.removeAll(failed);
        assertEquals(Set.of(), noSuccess, "unary methods without a success case");
        assertEquals(Set.of(), noError, "unary methods without an error case");
    }
}
