package featurealign.train;

import featurealign.io.AtomicFiles;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A training checkpoint: one zip file with everything needed to continue exactly — the run config, the step, the noise
 * generator's state, every network array (parameters and batch-norm statistics), each optimiser's state and the
 * history. Written atomically (temporary file, flush, rename), so a crash mid-write leaves the previous checkpoint
 * intact. Arrays use ND4J's own binary format, which round-trips bit for bit. The kit's one file format for trained
 * networks: a judge is stored as a checkpoint too (kind "judge": no noise state, optimiser or history).
 *
 * @param kind       what was trained ("fa-vae-gan", "local" or "judge")
 * @param config     the run's settings (as {@link RunConfig#toProperties()}, the local trainer's or the judge's)
 * @param step       steps completed
 * @param noiseState {@link Noise#state()}
 * @param arrays     network arrays by name
 * @param optimizers optimiser states by optimiser name
 * @param historyCsv {@link History#toCsv()}
 */
public record Checkpoint(String kind, Properties config, long step, byte[] noiseState, Map<String, INDArray> arrays,
                         Map<String, Adam.State> optimizers, String historyCsv) {

    static final int FORMAT_VERSION = 1;

    /** Writes {@code file} atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, out -> writeTo(out));
    }

    /** The zip content; {@link #write} wraps it in an atomic file write. */
    void writeTo(OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        zip.setLevel(java.util.zip.Deflater.NO_COMPRESSION); // float arrays barely compress, and deflating them is slow
        Properties format = new Properties();
        format.setProperty("kind", kind);
        format.setProperty("version", Integer.toString(FORMAT_VERSION));
        format.setProperty("step", Long.toString(step));
        putProperties(zip, "format.properties", format);
        putProperties(zip, "config.properties", config);
        put(zip, "noise.bin", noiseState);
        for (var e : arrays.entrySet()) putArray(zip, "arrays/" + e.getKey(), e.getValue());
        for (var o : optimizers.entrySet()) {
            Properties p = new Properties();
            p.setProperty("step", Long.toString(o.getValue().step()));
            putProperties(zip, "optimizers/" + o.getKey() + "/state.properties", p);
            for (var m : o.getValue().firstMoment().entrySet()) putArray(zip, "optimizers/" + o.getKey() + "/m/" + m.getKey(), m.getValue());
            for (var v : o.getValue().secondMoment().entrySet()) putArray(zip, "optimizers/" + o.getKey() + "/v/" + v.getKey(), v.getValue());
        }
        put(zip, "history.csv", historyCsv.getBytes(StandardCharsets.UTF_8));
        zip.finish();
        zip.flush();
    }

    private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(bytes);
        zip.closeEntry();
    }

    private static void putProperties(ZipOutputStream zip, String name, Properties p) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        p.store(new OutputStreamWriter(b, StandardCharsets.UTF_8), null);
        put(zip, name, b.toByteArray());
    }

    private static void putArray(ZipOutputStream zip, String name, INDArray a) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        // Nd4j.write emits one small write per element; unbuffered, each would go through the zip stream on its own.
        DataOutputStream d = new DataOutputStream(new BufferedOutputStream(zip, 1 << 16));
        Nd4j.write(a, d);
        d.flush();
        zip.closeEntry();
    }

    /** Reads a checkpoint; any damage or missing entry is a {@link CheckpointException} naming the file and entry. */
    public static Checkpoint read(Path file) throws CheckpointException {
        if (!Files.isRegularFile(file)) throw new CheckpointException(file, "no such checkpoint file");
        // A zip's central directory is at its end: opening it as a ZipFile first tells a truncated file from a
        // damaged entry (ZipInputStream alone reads a cut-off file as a shorter list of entries).
        try (ZipFile complete = new ZipFile(file.toFile())) {
            if (complete.size() == 0) throw new ZipException("no entries");
        } catch (IOException e) {
            throw new CheckpointException(file, "not a complete checkpoint (" + sizeOf(file) + ", " + reason(e)
                    + "): the file is truncated or is not a checkpoint; delete it to start the run again");
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) entries.put(e.getName(), zip.readAllBytes());
        } catch (IOException e) {
            throw new CheckpointException(file, "a damaged checkpoint (" + reason(e)
                    + "); delete it to start the run again");
        }
        Properties format = properties(file, entries, "format.properties");
        String version = format.getProperty("version");
        if (!Integer.toString(FORMAT_VERSION).equals(version)) {
            throw new CheckpointException(file, "format.properties: version " + version + ", expected " + FORMAT_VERSION);
        }
        String kind = format.getProperty("kind");
        long step;
        try {
            step = Long.parseLong(format.getProperty("step", ""));
        } catch (NumberFormatException ex) {
            throw new CheckpointException(file, "format.properties: step is not a number");
        }
        Properties config = properties(file, entries, "config.properties");
        byte[] noise = require(file, entries, "noise.bin");
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        Map<String, Map<String, INDArray>> m = new TreeMap<>(), v = new TreeMap<>();
        Map<String, Long> optSteps = new TreeMap<>();
        for (var e : entries.entrySet()) {
            String name = e.getKey();
            if (name.startsWith("arrays/")) {
                arrays.put(name.substring("arrays/".length()), array(file, name, e.getValue()));
            } else if (name.startsWith("optimizers/")) {
                String rest = name.substring("optimizers/".length());
                int slash = rest.indexOf('/');
                if (slash < 0) throw new CheckpointException(file, "bad optimizer entry " + name);
                String opt = rest.substring(0, slash), tail = rest.substring(slash + 1);
                if (tail.equals("state.properties")) {
                    try {
                        optSteps.put(opt, Long.parseLong(properties(file, entries, name).getProperty("step", "")));
                    } catch (NumberFormatException ex) {
                        throw new CheckpointException(file, name + ": step is not a number");
                    }
                } else if (tail.startsWith("m/")) {
                    m.computeIfAbsent(opt, k -> new LinkedHashMap<>()).put(tail.substring(2), array(file, name, e.getValue()));
                } else if (tail.startsWith("v/")) {
                    v.computeIfAbsent(opt, k -> new LinkedHashMap<>()).put(tail.substring(2), array(file, name, e.getValue()));
                } else {
                    throw new CheckpointException(file, "unknown optimizer entry " + name);
                }
            }
        }
        Map<String, Adam.State> optimizers = new LinkedHashMap<>();
        for (var e : optSteps.entrySet()) {
            Map<String, INDArray> mm = m.getOrDefault(e.getKey(), Map.of()), vv = v.getOrDefault(e.getKey(), Map.of());
            if (!mm.keySet().equals(vv.keySet())) {
                throw new CheckpointException(file, "optimizer " + e.getKey() + ": first and second moments name different parameters");
            }
            optimizers.put(e.getKey(), new Adam.State(e.getValue(), mm, vv));
        }
        String history = new String(require(file, entries, "history.csv"), StandardCharsets.UTF_8);
        return new Checkpoint(kind, config, step, noise, arrays, optimizers, history);
    }

    /** The array named {@code name}, with the shape and type of {@code like}; a clear error otherwise. */
    public INDArray array(Path file, String name, INDArray like) throws CheckpointException {
        INDArray a = arrays.get(name);
        if (a == null) throw new CheckpointException(file, "missing array '" + name + "'");
        if (!Arrays.equals(a.shape(), like.shape()) || a.dataType() != like.dataType()) {
            throw new CheckpointException(file, "array '" + name + "' has shape " + Arrays.toString(a.shape()) + " "
                    + a.dataType() + ", expected " + Arrays.toString(like.shape()) + " " + like.dataType());
        }
        return a;
    }

    private static byte[] require(Path file, Map<String, byte[]> entries, String name) throws CheckpointException {
        byte[] b = entries.get(name);
        if (b == null) throw new CheckpointException(file, "missing entry '" + name + "'");
        return b;
    }

    private static Properties properties(Path file, Map<String, byte[]> entries, String name) throws CheckpointException {
        Properties p = new Properties();
        try {
            p.load(new InputStreamReader(new ByteArrayInputStream(require(file, entries, name)), StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            throw new CheckpointException(file, name + ": " + reason(e));
        }
        return p;
    }

    private static INDArray array(Path file, String name, byte[] bytes) throws CheckpointException {
        try {
            return Nd4j.read(new DataInputStream(new ByteArrayInputStream(bytes)));
        } catch (Exception e) {
            throw new CheckpointException(file, "entry '" + name + "' is not a readable array: " + reason(e));
        }
    }

    /** An exception's message, or its kind when it has none (EOFException often has none). */
    private static String reason(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String sizeOf(Path file) {
        try {
            return String.format(Locale.ROOT, "%,d bytes", Files.size(file));
        } catch (IOException e) {
            return "size unknown";
        }
    }

    /** A checkpoint file that cannot be used, with the file and the reason. */
    public static final class CheckpointException extends IOException {
        private final Path file;
        private final String reason;

        public CheckpointException(Path file, String reason) {
            super(file + ": " + reason);
            this.file = file;
            this.reason = reason;
        }

        public Path file() { return file; }

        /** What is wrong with the file, without its name. */
        public String reason() { return reason; }
    }
}
