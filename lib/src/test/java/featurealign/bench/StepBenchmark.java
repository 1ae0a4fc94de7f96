package featurealign.bench;

import featurealign.align.AlignmentOptions;
import featurealign.experiment.Inspection;
import featurealign.nn.Architecture;
import featurealign.train.*;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times the kit's steps at the paper's MNIST size (batch 128, float32), the same step types and command line as
 * {@code bench/pytorch/baseline.py}: {@code --step fa_vae|fa_vae_gan|sample1000 --warmup N --iters N [--json]
 * [--gc-every K]}; {@code --info} prints only ND4J's back-end, BLAS and thread counts (a line on stderr, a JSON line
 * on stdout). Prints one line per iteration and a final JSON line with the median, the times, the first-step
 * overhead (ND4J's backend load + graph build + first step; the load also on its own) and the peak RSS. Not a test:
 * run by hand or by {@code bench/compare}.
 */
public final class StepBenchmark {

    public static void main(String[] args) throws Exception {
        String step = "fa_vae";
        int warmup = 3, iters = 10, gcEvery = 4;
        boolean json = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--info" -> {
                    Backend b = Backend.current();
                    System.err.printf("   kit: ND4J %s; BLAS %s; %d OpenMP threads, %d BLAS threads%n", b.backend(), b.blas(),
                            b.threads(), b.blasThreads());
                    System.out.printf("{\"impl\":\"kit\",\"backend\":\"%s\",\"blas\":\"%s\",\"threads\":%d,\"blas_threads\":%d}%n",
                            b.backend(), b.blas(), b.threads(), b.blasThreads());
                    return;
                }
                case "--step" -> step = args[++i];
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                case "--gc-every" -> gcEvery = Integer.parseInt(args[++i]);
                case "--json" -> json = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        int batch = 128;
        long t0 = System.nanoTime();
        org.nd4j.linalg.factory.Nd4j.create(1); // ND4J loads its native backend on first use: part of the overhead
        double backendLoad = (System.nanoTime() - t0) / 1e6;
        Body built = build(step, batch);
        Runnable body = built.run();
        double build = (System.nanoTime() - t0) / 1e6;
        long t1 = System.nanoTime();
        body.run();
        double first = (System.nanoTime() - t1) / 1e6;
        for (int i = 1; i < warmup; i++) body.run();
        long[] pool0 = built.memory().poolCounts();
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < iters; i++) {
            long s = System.nanoTime();
            body.run();
            if (gcEvery > 0 && (i + 1) % gcEvery == 0) System.gc(); // part of the step's cost: it frees ND4J buffers
            double ms = (System.nanoTime() - s) / 1e6;
            times.add(ms);
            if (!json) System.out.printf(Locale.ROOT, "%s iteration %d: %.1f ms%n", step, i, ms);
        }
        long[] pool1 = built.memory().poolCounts();
        double reusedPerStep = (pool1[0] - pool0[0]) / (double) iters, freshPerStep = (pool1[1] - pool0[1]) / (double) iters;
        double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        Backend b = Backend.current();
        System.out.printf(Locale.ROOT, "{\"impl\":\"kit\",\"step\":\"%s\",\"median_ms\":%.1f,\"min_ms\":%.1f,\"times_ms\":%s,"
                        + "\"first_step_overhead_ms\":%.0f,\"backend_load_ms\":%.0f,\"build_ms\":%.0f,\"first_step_ms\":%.0f,\"peak_rss_mb\":%.0f,\"batch\":%d,\"gc_every\":%d,"
                        + "\"pool_mb\":%d,\"pool_reused_per_step\":%.1f,\"pool_fresh_per_step\":%.1f,\"threads\":%d,\"blas\":\"%s\"}%n",
                step, median, sorted[0], times.stream().map(t -> String.format(Locale.ROOT, "%.1f", t)).toList(),
                build + first, backendLoad, build, first, peakRssMb(), batch, gcEvery,
                Long.getLong("featurealign.arrayPoolMB", 768L), reusedPerStep, freshPerStep, b.threads(), b.blas());
    }

    /**
     * ND4J's back-end in this process: its name (with oneDNN when the native build has it), the BLAS it calls (its
     * own bundled OpenBLAS on x86-64, not the system's libblas.so.3) and the OpenMP and BLAS thread counts.
     */
    record Backend(String backend, String blas, int threads, int blasThreads) {
        static Backend current() {
            java.util.Properties p = org.nd4j.linalg.factory.Nd4j.getExecutioner().getEnvironmentInformation();
            String build = org.nd4j.linalg.factory.Nd4j.getBackend().buildInfo();
            String name = org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getSimpleName()
                    + (build.contains("HAVE_ONEDNN") ? " with oneDNN" : "");
            String vendor = String.valueOf(p.getOrDefault("blas.vendor", "?"));
            String blas = vendor + (vendor.equals("OPENBLAS") ? " (bundled with ND4J: org.bytedeco openblas)" : "");
            return new Backend(name, blas, intOf(p.get("omp.threads")), intOf(p.get("blas.threads")));
        }

        private static int intOf(Object v) {
            try {
                return Integer.parseInt(String.valueOf(v));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    /** A step to time and the native memory it runs in. */
    record Body(Runnable run, featurealign.runtime.NativeMemory memory) {}

    static Body build(String step, int batch) {
        Noise noise = new Noise(1);
        INDArray x = noise.uniform(DataType.FLOAT, batch, 1, 28, 28);
        INDArray y = Inspection.cyclingLabels(batch, 10, DataType.FLOAT);
        switch (step) {
            case "fa_vae" -> {
                var memory = featurealign.runtime.NativeMemory.withDefaults();
                FaVaeEncoderStep s = new FaVaeEncoderStep(Architecture.MNIST, AlignmentOptions.reference(), DataType.FLOAT, 1, true,
                        new Adam(1e-4, 0.5, 0.999, 1e-8), memory);
                INDArray xc = x.mul(0.98).addi(0.01);
                return new Body(() -> s.run(new FaVaeEncoderStep.Batch(xc, y, noise.gaussian(DataType.FLOAT, batch, 128),
                        noise.uniform(DataType.FLOAT, batch), null)), memory);
            }
            case "fa_vae_gan" -> {
                FaModel m = new FaModel(RunConfig.profile("paper", "mnist"));
                long[] k = {0};
                return new Body(() -> m.trainStep(x, y, true, noise, ++k[0]), m.memory());
            }
            case "local" -> {
                // One layer-wise step of the MNIST memory network (docs/method.md §6), all modules trained.
                featurealign.train.LocalTraining local = featurealign.train.LocalTraining.builder(Architecture.MNIST)
                        .dataType(DataType.FLOAT).seed(1).build();
                INDArray xc = x.mul(0.98).addi(0.01);
                return new Body(() -> local.run(xc), local.memory());
            }
            case "sample1000" -> {
                FaModel m = new FaModel(RunConfig.profile("paper", "mnist"));
                INDArray labels = Inspection.cyclingLabels(1000, 10, DataType.FLOAT);
                return new Body(() -> m.refine(m.sample(1000, labels, noise), labels), m.memory());
            }
            default -> throw new IllegalArgumentException("unknown step " + step + " (fa_vae, fa_vae_gan, local, sample1000)");
        }
    }

    /** VmHWM of this process in MB (Linux); NaN elsewhere. */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D+", "")) / 1024.0;
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return Double.NaN;
    }
}
