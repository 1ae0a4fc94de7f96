package featurealign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Download behaviour against a local HTTP server on 127.0.0.1 (tests never leave the loopback interface). */
@Timeout(60)
class DownloaderTest {
    private static final byte[] PAYLOAD = new byte[300_000];

    static {
        new Random(3).nextBytes(PAYLOAD);
    }

    @TempDir
    Path dir;
    private HttpServer server;
    /** How the next requests are answered: "good", "drop" (half, then the connection closes), "wrong", "stall". */
    private volatile String mode = "good";
    private final List<String> rangeHeaders = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/file.bin", this::serve);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        String range = exchange.getRequestHeaders().getFirst("Range");
        rangeHeaders.add(String.valueOf(range));
        byte[] body = mode.equals("wrong") ? PAYLOAD.clone() : PAYLOAD;
        if (mode.equals("wrong")) {
            body[1234] ^= 1;
        }
        int from = 0;
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            exchange.getResponseHeaders().add("Content-Range",
                    "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            exchange.sendResponseHeaders(206, body.length - from);
        } else {
            exchange.sendResponseHeaders(200, body.length);
        }
        OutputStream out = exchange.getResponseBody();
        int length = body.length - from;
        if (mode.equals("drop")) {
            out.write(body, from, length / 2);
            out.flush();
            // Closing the exchange before the declared length has been sent drops the connection.
            exchange.close();
            return;
        }
        if (mode.equals("stall")) {
            out.write(body, from, 1000);
            out.flush();
            try {
                Thread.sleep(1_500);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
            return;
        }
        out.write(body, from, length);
        out.close();
    }

    private URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/file.bin");
    }

    private static Downloader.ContentCheck sha256Of(byte[] expected) {
        String hex = Checksums.of(expected, "SHA-256");
        return file -> {
            String actual = Checksums.of(file, "SHA-256");
            return actual.equals(hex) ? null : new Downloader.Mismatch("SHA-256", hex, actual);
        };
    }

    private static Downloader downloader(int attempts, Duration readTimeout) {
        return new Downloader(Duration.ofSeconds(2), readTimeout, attempts, Duration.ofMillis(10), null);
    }

    @Test
    void completeDownloadIsCheckedAndRenamed() throws IOException {
        Path target = dir.resolve("file.bin");
        downloader(1, Duration.ofSeconds(5)).download(url(), target, sha256Of(PAYLOAD));
        assertArrayEquals(PAYLOAD, Files.readAllBytes(target));
        assertFalse(Files.exists(Downloader.partialOf(target)));
    }

    @Test
    void interruptedFetchNeverShowsTheFinalNameAndALaterCallResumes() throws IOException {
        Path target = dir.resolve("file.bin");
        Path partial = Downloader.partialOf(target);
        mode = "drop";
        assertThrows(IOException.class,
                () -> downloader(1, Duration.ofSeconds(5)).download(url(), target, sha256Of(PAYLOAD)));
        assertFalse(Files.exists(target), "an interrupted download must not appear under its final name");
        assertTrue(Files.exists(partial), "the partial file is kept for resuming");
        long kept = Files.size(partial);
        assertTrue(kept > 0 && kept < PAYLOAD.length, "partial holds " + kept + " bytes");

        mode = "good";
        downloader(1, Duration.ofSeconds(5)).download(url(), target, sha256Of(PAYLOAD));
        assertArrayEquals(PAYLOAD, Files.readAllBytes(target));
        assertFalse(Files.exists(partial));
        assertEquals("bytes=" + kept + "-", rangeHeaders.get(rangeHeaders.size() - 1), "must resume with Range");
    }

    @Test
    void retriesResumeWithinOneCall() throws IOException {
        // The server drops every connection half-way: each retry asks for the rest and gets half of it, so the
        // file converges; with enough attempts it completes.
        Path target = dir.resolve("file.bin");
        mode = "drop";
        IOException gaveUp = assertThrows(IOException.class,
                () -> downloader(3, Duration.ofSeconds(5)).download(url(), target, sha256Of(PAYLOAD)));
        assertTrue(gaveUp.getMessage().contains("gave up after 3 attempt(s)"), gaveUp.getMessage());
        assertEquals(3, requests.get());
        assertTrue(rangeHeaders.get(1).startsWith("bytes="), rangeHeaders.toString());
        assertFalse(Files.exists(target));
    }

    @Test
    void wrongBytesDeleteThePartialAndNameFileAndChecksums() throws IOException {
        Path target = dir.resolve("file.bin");
        mode = "wrong";
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                () -> downloader(1, Duration.ofSeconds(5)).download(url(), target, sha256Of(PAYLOAD)));
        String expected = Checksums.of(PAYLOAD, "SHA-256");
        assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("expected " + expected), e.getMessage());
        assertTrue(e.getMessage().contains("actual " + e.actual()) && !e.actual().equals(expected), e.getMessage());
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(Downloader.partialOf(target)), "a mismatching partial must be deleted");
    }

    @Test
    void stalledTransferHitsTheReadTimeout() {
        Path target = dir.resolve("file.bin");
        mode = "stall";
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class,
                () -> downloader(1, Duration.ofMillis(400)).download(url(), target, sha256Of(PAYLOAD)));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(e.getMessage().contains("read timeout"), e.getMessage());
        assertTrue(millis < 1_400, "took " + millis + " ms");
        assertFalse(Files.exists(target));
    }

    @Test
    void refusedConnectionFailsFastWithoutRetries() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        long start = System.nanoTime();
        Downloader.FetchException e = assertThrows(Downloader.FetchException.class,
                () -> downloader(5, Duration.ofSeconds(5)).download(URI.create("http://127.0.0.1:" + closedPort + "/x"),
                        dir.resolve("x"), sha256Of(PAYLOAD)));
        assertTrue(e.permanent, e.getMessage());
        assertTrue((System.nanoTime() - start) / 1_000_000 < 2_000);
    }

    @Test
    void notFoundIsPermanent() {
        Downloader.FetchException e = assertThrows(Downloader.FetchException.class,
                () -> downloader(3, Duration.ofSeconds(5)).download(
                        URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/missing"),
                        dir.resolve("missing"), sha256Of(PAYLOAD)));
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        assertEquals(0, requests.get());
    }
}
