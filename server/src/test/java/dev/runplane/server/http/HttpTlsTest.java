package dev.runplane.server.http;

import dev.runplane.server.OperationsConfig;
import dev.runplane.server.core.WorkerSettings;
import dev.runplane.server.testing.TestCertificates;
import dev.runplane.server.testing.TestPostgres;
import dev.runplane.server.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The HTTP port with the gRPC port's certificate flags: HTTPS (HTTP/2 by ALPN), and mutual TLS. */
class HttpTlsTest {

    @TempDir
    static Path dir;
    private static TestCertificates certs;

    @BeforeAll
    static void certificates() throws Exception {
        certs = TestCertificates.create(dir);
    }

    private static HttpClient trusting() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream ca = Files.newInputStream(certs.caCert())) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(ca));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, factory.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static HttpResponse<String> search(HttpClient client, String scheme, int port) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(scheme + "://localhost:" + port
                        + "/runplane.v1.ExecutionService/Search")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static TestServer start(Path clientCa) {
        return TestServer.start(TestPostgres.newDatabase(), OperationsConfig.defaults()
                .withTls(certs.serverCert(), certs.serverKey(), clientCa).withHttp(HttpConfig.onPort(0)),
                WorkerSettings.DEFAULT);
    }

    @Test
    void httpsWithTheSameCertificate() throws Exception {
        try (TestServer server = start(null)) {
            HttpResponse<String> response = search(trusting(), "https", server.app().httpPort());
            assertEquals(200, response.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, response.version(), "HTTP/2 by ALPN");
            assertThrows(IOException.class, () -> search(HttpClient.newHttpClient(), "https", server.app().httpPort()),
                    "a client that does not trust the CA");
            assertThrows(IOException.class, () -> search(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .build(), "http", server.app().httpPort()), "plaintext");
        }
    }

    @Test
    void mutualTlsRefusesAClientWithoutACertificate() throws Exception {
        try (TestServer server = start(certs.caCert())) {
            assertThrows(IOException.class, () -> search(trusting(), "https", server.app().httpPort()));
        }
    }
}
