package featurealign.bench;

import featurealign.io.AtomicFiles;
import featurealign.nn.Architecture;
import featurealign.nn.NetworkSpec;
import featurealign.train.Adam;
import featurealign.train.LocalEndToEndStep;
import featurealign.train.LocalTraining;
import featurealign.train.Noise;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The paper's memory claim (docs/method.md §6): peak memory of one local-training step against one end-to-end
 * feature-alignment step on the same network (the MNIST memory net, float32, seed 1, T = 1, η = 1, Adam 1e-4), with
 * random images in [0,1] (memory and time do not depend on the pixels). Not a test: run one variant per fresh JVM,
 * e.g. through {@code bench/local-memory}, which runs both and prints the table.
 * <p>
 * Usage: {@code measure <local|end-to-end> <batch> [measured steps] [csv]} and {@code table [csv]}.
 * <p>
 * Protocol per JVM: build, two warm-up steps (graph and gradient-function creation, oneDNN primitives); then for each
 * measured step: {@code System.gc()} and a pause so released buffers are really freed, reset the kernel's peak-RSS
 * mark (writing 5 to {@code /proc/self/clear_refs}), read VmRSS, run the step while a thread samples the RSS every
 * millisecond, then read VmHWM. Reported: the step's peak RSS above the RSS before it (the memory the step itself
 * needs: activations, graph state, gradients, Adam temporaries; parameters and Adam moments exist before and after),
 * the same from the 1 ms sampler as a cross-check, and the step time. ND4J allocates its buffers inside libnd4j, so
 * JavaCPP's {@code Pointer.totalBytes()} does not see them (it stays 0); RSS is the measure. Run with
 * {@code MALLOC_MMAP_THRESHOLD_=131072} (the script does) and the kit's buffer pool off, so freed buffers leave the
 * RSS at once; with glibc's adaptive threshold or the pool they stay in the process and the RSS before a step already
 * contains the previous peak.
 */
public final class LocalMemoryBenchmark {

    static final Path DEFAULT_CSV = Path.of("results/bench/local-memory.csv");
    static final String HEADER = "variant,batch,measured_steps,median_step_ms,min_step_ms,median_peak_above_start_mb,"
            + "max_peak_above_start_mb,sampled_peak_above_start_mb,rss_before_step_mb,loss,load_1min,hwm_reset";

    public static void main(String[] args) throws Exception {
        if (args.length == 0) usage();
        switch (args[0]) {
            case "measure" -> {
                if (args.length < 3) usage();
                String variant = args[1];
                int batch = Integer.parseInt(args[2]);
                int steps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
                Path csv = args.length > 4 ? Path.of(args[4]) : DEFAULT_CSV;
                String row = measure(variant, batch, steps);
                System.out.println(HEADER);
                System.out.println(row);
                updateCsv(csv, row);
            }
            case "table" -> printTable(args.length > 1 ? Path.of(args[1]) : DEFAULT_CSV);
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: LocalMemoryBenchmark measure <local|end-to-end> <batch> [measured steps] [csv]\n"
                + "       LocalMemoryBenchmark table [csv]");
        System.exit(2);
    }

    /** One step of either regime, on the MNIST memory network. */
    interface Step { double run(INDArray images); }

    static String measure(String variant, int batch, int steps) throws Exception {
        if (batch < 1 || steps < 1) throw new IllegalArgumentException("batch and measured steps must be >= 1");
        // No buffer reuse across steps: buffers pooled before a step would count in the RSS before it, and the step
        // would seem to need less than it does.
        NetworkSpec spec = Architecture.MNIST.memory();
        Step step;
        if (variant.equals("local")) {
            LocalTraining local = LocalTraining.builder(spec).dataType(DataType.FLOAT).seed(1).build();
            local.memory().setArrayPoolBytes(0);
            step = images -> local.run(images).total();
        } else if (variant.equals("end-to-end")) {
            LocalEndToEndStep e2e = new LocalEndToEndStep(spec, DataType.FLOAT, 1, 1, 1.0, LocalTraining.referenceAdam());
            e2e.memory().setArrayPoolBytes(0);
            step = images -> e2e.run(images).total();
        } else {
            throw new IllegalArgumentException("variant must be 'local' or 'end-to-end', got '" + variant + "'");
        }
        Noise noise = new Noise(1);
        INDArray images = noise.uniform(DataType.FLOAT, batch, 1, 28, 28);
        for (int i = 0; i < 2; i++) step.run(images); // warm-up
        double[] ms = new double[steps], peak = new double[steps], sampled = new double[steps];
        double before = 0, loss = 0;
        boolean reset = true;
        for (int i = 0; i < steps; i++) {
            System.gc();
            Thread.sleep(300); // lets the deallocator threads free the buffers the collector found
            reset &= resetPeakRss();
            long rss0 = statusKb("VmRSS:");
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong maxPhysical = new AtomicLong(Pointer.physicalBytes());
            Thread sampler = new Thread(() -> {
                while (running.get()) {
                    maxPhysical.accumulateAndGet(Pointer.physicalBytes(), Math::max);
                    LockSupport.parkNanos(1_000_000);
                }
            }, "rss-sampler");
            sampler.setDaemon(true);
            long physical0 = Pointer.physicalBytes();
            sampler.start();
            long t0 = System.nanoTime();
            loss = step.run(images);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            running.set(false);
            sampler.join();
            long hwm = statusKb("VmHWM:");
            peak[i] = (hwm - rss0) / 1024.0;
            sampled[i] = (maxPhysical.get() - physical0) / (1024.0 * 1024.0);
            before = rss0 / 1024.0;
            System.err.printf(Locale.ROOT, "%s batch %d step %d: %.0f ms, peak RSS %.1f MB above %.1f MB (sampled %.1f MB)%n",
                    variant, batch, i, ms[i], peak[i], before, sampled[i]);
        }
        return String.format(Locale.ROOT, "%s,%d,%d,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.6g,%s,%s", variant, batch, steps,
                median(ms), Arrays.stream(ms).min().orElse(Double.NaN), median(peak),
                Arrays.stream(peak).max().orElse(Double.NaN), median(sampled), before, loss, loadAverage(), reset);
    }

    /** Resets VmHWM to the current RSS (Linux ≥ 4.0); false where not permitted. */
    static boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** A kB field of /proc/self/status (VmRSS, VmHWM). */
    static long statusKb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) return Long.parseLong(line.replaceAll("\\D+", ""));
        }
        throw new IOException(field + " not in /proc/self/status (Linux only)");
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "";
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Replaces the row of the same variant and batch (or adds it), sorted by batch then variant; written atomically. */
    static void updateCsv(Path csv, String row) throws IOException {
        List<String> rows = new ArrayList<>();
        if (Files.exists(csv)) {
            List<String> lines = Files.readAllLines(csv);
            if (!lines.isEmpty() && !lines.get(0).equals(HEADER)) {
                throw new IOException(csv + " has another header; move it away first");
            }
            for (String l : lines.subList(Math.min(1, lines.size()), lines.size())) if (!l.isBlank()) rows.add(l);
        }
        String key = key(row);
        rows.removeIf(r -> key(r).equals(key));
        rows.add(row);
        rows.sort(Comparator.comparingInt((String r) -> Integer.parseInt(r.split(",")[1])).thenComparing(r -> r.split(",")[0]));
        StringBuilder out = new StringBuilder(HEADER).append('\n');
        for (String r : rows) out.append(r).append('\n');
        AtomicFiles.write(csv, o -> o.write(out.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static String key(String row) {
        String[] f = row.split(",");
        return f[0] + "," + f[1];
    }

    /** Prints the CSV as a table with the end-to-end / local ratio of peak memory and time per batch size. */
    static void printTable(Path csv) throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String l : Files.readAllLines(csv).subList(1, Files.readAllLines(csv).size())) if (!l.isBlank()) rows.add(l.split(","));
        System.out.printf(Locale.ROOT, "%-11s %6s %10s %14s %14s %12s %6s%n", "variant", "batch", "ms/step",
                "peak MB (med)", "sampled MB", "RSS before", "load");
        for (String[] r : rows) {
            System.out.printf(Locale.ROOT, "%-11s %6s %10s %14s %14s %12s %6s%n", r[0], r[1], r[3], r[5], r[7], r[8], r[10]);
        }
        for (String[] local : rows) {
            if (!local[0].equals("local")) continue;
            for (String[] e2e : rows) {
                if (e2e[0].equals("end-to-end") && e2e[1].equals(local[1])) {
                    System.out.printf(Locale.ROOT, "batch %s: end-to-end / local peak memory %.2fx, time %.2fx%n", local[1],
                            Double.parseDouble(e2e[5]) / Double.parseDouble(local[5]),
                            Double.parseDouble(e2e[3]) / Double.parseDouble(local[3]));
                }
            }
        }
    }
}
