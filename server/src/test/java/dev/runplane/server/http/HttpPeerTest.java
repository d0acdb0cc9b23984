package dev.runplane.server.http;

import com.google.gson.JsonParser;
import dev.runplane.server.OperationsConfig;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.testing.Curl;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import dev.runplane.v1.ExecutionServiceGrpc;
import dev.runplane.v1.ListExecutionEventsRequest;
import dev.runplane.v1.RunRequest;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The in-process hop keeps who the HTTP client is: a keyless caller from loopback is "loopback", one
 * from another address is "anonymous" (here with --insecure, which lets it in), as over gRPC; and the
 * header that carries the address means nothing when a client sends it, over HTTP or over gRPC.
 */
class HttpPeerTest {

    private static InetAddress nonLoopbackAddress() throws Exception {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (address instanceof Inet4Address && !address.isLoopbackAddress() && !address.isLinkLocalAddress()) {
                    return address;
                }
            }
        }
        return null;
    }

    private static String actorOfRun(TestServer server, URI base, String... headers) {
        HttpResponse<String> response = Curl.postJson(base.resolve("/runplane.v1.ExecutionService/Run"),
                "{\"pipeline\":\"peer\"}", headers);
        assertEquals(200, response.statusCode(), response.body());
        String id = JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonObject("execution").get("id")
                .getAsString();
        return firstActor(server, id);
    }

    private static String firstActor(TestServer server, String id) {
        return server.executions().listExecutionEvents(ListExecutionEventsRequest.newBuilder().setId(id).build())
                .getEvents(0).getActor();
    }

    @Test
    void theHttpClientsOwnAddressDecidesAndCannotBeForged() throws Exception {
        InetAddress external = nonLoopbackAddress();
        assumeTrue(external != null, "this machine has no non-loopback IPv4 address to call from");
        try (TestServer server = TestServer.start(TestPostgres.newDatabase(), OperationsConfig.defaults()
                .withInsecure(true).withHttp(HttpConfig.onPort(0)), WorkerSettings.DEFAULT, "0.0.0.0")) {
            int port = server.app().httpPort();
            URI loopback = URI.create("http://127.0.0.1:" + port);
            URI outside = URI.create("http://" + external.getHostAddress() + ":" + port);
            assertEquals("loopback", actorOfRun(server, loopback));
            assertEquals("anonymous", actorOfRun(server, outside));
            assertEquals("anonymous", actorOfRun(server, outside, "X-Runplane-Http-Peer", "127.0.0.1 1"),
                    "a client's own peer header is not forwarded");
            // Over gRPC (this test server's transport is in-process, so local) the header changes nothing either.
            Metadata forged = new Metadata();
            forged.put(HttpPeer.PEER, "10.9.8.7 1");
            String id = ExecutionServiceGrpc.newBlockingStub(server.channel())
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forged))
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .run(RunRequest.newBuilder().setPipeline("peer").build()).getExecution().getId();
            assertEquals("loopback", firstActor(server, id));
        }
    }
}
