package featurealign.experiment;

import featurealign.align.AlignmentOptions.Squash;
import featurealign.data.Batches;
import featurealign.data.DataStore;
import featurealign.data.ImageSet;
import featurealign.data.Split;
import featurealign.io.AtomicFiles;
import featurealign.nn.Architecture;
import featurealign.train.LocalReconstruction;
import featurealign.train.LocalTraining;
import featurealign.train.Progress;
import featurealign.viz.Charts;
import featurealign.viz.ImageGrid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.io.csv.CsvReadOptions;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * The local (layer-wise) training walkthrough (docs/method.md §6): the asinh "memory" network trained one layer at a
 * time, its reconstruction through transposes and sinh, and the memory comparison with end-to-end training.
 * Figures are written under the output folder as they are made.
 */
public final class LocalExperiment {

    private final String dataset;
    private final String profile;
    private final int steps, batchSize;
    private final Path outputDir;
    private final ImageSet trainSet, testSet;
    private final LocalTraining training;
    private final Batches batches;
    private final Table history = Table.create("local training", IntColumn.create("step"), DoubleColumn.create("total_loss"));
    private final Map<String, BufferedImage> figures = new LinkedHashMap<>();

    private LocalExperiment(String dataset, String profile, int steps, int batchSize, Path outputDir, ImageSet train,
                            ImageSet test, LocalTraining training) {
        this.dataset = dataset;
        this.profile = profile;
        this.steps = steps;
        this.batchSize = batchSize;
        this.outputDir = outputDir;
        this.trainSet = train;
        this.testSet = test;
        this.training = training;
        this.batches = new Batches(train.size(), batchSize, 1, false);
    }

    /**
     * Local training of the reference memory network for {@code dataset} ("mnist" or "cifar10") at a profile:
     * {@code smoke} 10 steps of batch 32 on 512 images, {@code cpu} 300 steps of batch 128, {@code paper} one epoch
     * of batch 128. All modules are trained (the reference's CIFAR-10 script trains 12 of 16: pass
     * {@code referenceCifarBug = true} to reproduce that).
     */
    public static LocalExperiment open(String dataset, String profile, boolean referenceCifarBug) throws IOException {
        DataStore store = DataStore.fromEnvironment();
        ImageSet train, test;
        Architecture arch;
        switch (dataset) {
            case "mnist" -> { train = store.mnist(Split.TRAIN); test = store.mnist(Split.TEST); arch = Architecture.MNIST; }
            case "cifar10" -> { train = store.cifar10(Split.TRAIN); test = store.cifar10(Split.TEST); arch = Architecture.CIFAR10; }
            default -> throw new IllegalArgumentException("local training walkthrough: dataset must be mnist or cifar10, got " + dataset);
        }
        int steps, batch;
        switch (profile) {
            case "smoke" -> { steps = 10; batch = 32; train = train.first(512); }
            case "cpu" -> { steps = 300; batch = 128; }
            case "paper" -> { steps = (train.size() + 127) / 128; batch = 128; }
            default -> throw new IllegalArgumentException("unknown profile '" + profile + "', expected smoke, cpu or paper");
        }
        LocalTraining.Builder b = LocalTraining.builder(arch).seed(1);
        if (referenceCifarBug) b.referenceCifarBug();
        String env = System.getenv("FA_RESULTS_DIR");
        Path base = env != null && !env.isBlank() ? Path.of(env) : Experiment.kitRoot().resolve("results");
        Path out = (profile.equals("cpu") ? base : base.resolve(profile)).resolve("local-" + dataset);
        Files.createDirectories(out);
        return new LocalExperiment(dataset, profile, steps, batch, out, train, test, b.build());
    }

    /** {@link #open(String, String, boolean)} with the profile from {@code FA_PROFILE} (default cpu), all modules. */
    public static LocalExperiment fromEnvironment(String dataset) throws IOException {
        String p = System.getenv("FA_PROFILE");
        return open(dataset, p == null || p.isBlank() ? "cpu" : p.trim(), false);
    }

    public LocalTraining training() { return training; }

    public Path outputDir() { return outputDir; }

    public String describe() {
        return String.format("local training · %s · profile %s · %d steps of batch %d · %d of %d modules trained · step %d done",
                dataset, profile, steps, batchSize, training.trainedModules(), training.spec().layers().size(), training.optimizer().step());
    }

    /** Trains the steps still missing, printing about {@code lines} progress lines; writes local-history.csv. */
    public void train(PrintStream out, int lines) throws IOException {
        int every = Math.max(1, steps / Math.max(1, lines));
        long start = System.nanoTime(), done = 0;
        while (training.optimizer().step() < steps) {
            long s = training.optimizer().step();
            int perEpoch = batches.batchesPerEpoch();
            int[] idx = batches.epoch((int) (s / perEpoch)).get((int) (s % perEpoch));
            INDArray x = trainSet.toNCHW(idx, DataType.FLOAT);
            var r = training.run(x);
            long step = training.optimizer().step();
            x.close();
            done++;
            history.intColumn("step").append((int) step);
            history.doubleColumn("total_loss").append(r.total());
            if (step % 4 == 0) System.gc(); // frees ND4J's off-heap buffers
            if (step % every == 0 || step == steps) {
                double rate = done / ((System.nanoTime() - start) / 1e9);
                out.printf(Locale.ROOT, "step %d/%d · %.2f steps/s · ETA %s · summed layer loss %.1f%n", step, steps,
                        rate, Progress.duration((steps - step) / rate), r.total());
            }
        }
        training.memory().releaseFreeBuffers();
        byte[] csv = history.write().toString("csv").getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(outputDir.resolve("local-history.csv"), o -> o.write(csv));
    }

    /** The summed per-layer loss ½Σ‖x_l − r_l‖² against the step (log scale). */
    public BufferedImage lossChart() throws IOException {
        if (history.rowCount() == 0) throw new IllegalStateException("no training steps yet: call train first");
        BufferedImage img = Charts.toImage(Charts.lossChart(history, Charts.LossChartOptions.defaults()
                .withTitle("Local training: summed layer losses").withLogY(true).withSize(800, 360), "step", "total_loss"));
        return keep("local_losses", img);
    }

    /**
     * The first {@code n} test images (odd rows) above their reconstructions (even rows): the network's code decoded
     * module by module, last to first, by one alignment step from 0 (a transposed conv or matmul with the bias
     * subtracted) and sinh for asinh modules, then tanh — the reference's {@code memory_rec.py}.
     */
    public BufferedImage reconstructions(int n) throws IOException {
        int[] idx = Experiment.range(Math.min(n, testSet.size()));
        INDArray x = testSet.toNCHW(idx, DataType.FLOAT);
        INDArray rec = LocalReconstruction.of(training).reconstruct(x);
        int cols = (int) Math.max(1, Math.round(Math.sqrt(n)));
        return keep("local_reconstructions", ImageGrid.sideBySide(x, rec, cols, ImageGrid.DEFAULT_PADDING, x.size(2) <= 32 ? 3 : 1));
    }

    /** The same with a squash other than the reference's tanh (e.g. sigmoid), for comparison. */
    public BufferedImage reconstructions(int n, Squash squash) throws IOException {
        int[] idx = Experiment.range(Math.min(n, testSet.size()));
        INDArray x = testSet.toNCHW(idx, DataType.FLOAT);
        INDArray rec = LocalReconstruction.of(training).withSquash(squash).reconstruct(x);
        int cols = (int) Math.max(1, Math.round(Math.sqrt(n)));
        return keep("local_reconstructions_" + squash.name().toLowerCase(Locale.ROOT),
                ImageGrid.sideBySide(x, rec, cols, ImageGrid.DEFAULT_PADDING, x.size(2) <= 32 ? 3 : 1));
    }

    /**
     * The memory comparison measured by {@code bench/local-memory} (one fresh JVM per variant and batch size, peak RSS
     * above the RSS before the step): the table as written in {@code csv}.
     */
    public static Table memoryTable(Path csv) throws IOException {
        if (!Files.isRegularFile(csv)) {
            throw new IOException(csv + ": no memory measurements; run bench/local-memory to make them");
        }
        return Table.read().usingOptions(CsvReadOptions.builder(csv.toFile()).tableName("local vs end-to-end memory"));
    }

    /** A bar chart of {@link #memoryTable}: peak memory above the pre-step RSS per batch size and variant. */
    public static BufferedImage memoryChart(Table t) {
        List<String> batches = new ArrayList<>();
        Map<String, double[]> series = new LinkedHashMap<>();
        for (int i = 0; i < t.rowCount(); i++) {
            String b = Integer.toString(t.numberColumn("batch").getDouble(i) == Math.rint(t.numberColumn("batch").getDouble(i))
                    ? (int) t.numberColumn("batch").getDouble(i) : -1);
            if (!batches.contains(b)) batches.add(b);
        }
        for (String variant : List.of("local", "end-to-end")) {
            double[] v = new double[batches.size()];
            for (int i = 0; i < t.rowCount(); i++) {
                if (!t.stringColumn("variant").get(i).equals(variant)) continue;
                v[batches.indexOf(Integer.toString((int) t.numberColumn("batch").getDouble(i)))] =
                        t.numberColumn("median_peak_above_start_mb").getDouble(i);
            }
            series.put(variant, v);
        }
        return Charts.toImage(Charts.barChart("Peak memory of one training step (MNIST memory net, float32)",
                batches.stream().map(b -> "batch " + b).toList(), series, "MB above the RSS before the step"));
    }

    public Map<String, BufferedImage> figures() { return figures; }

    private BufferedImage keep(String name, BufferedImage image) throws IOException {
        figures.put(name, image);
        ImageGrid.savePng(image, outputDir.resolve(name + ".png"));
        return image;
    }
}
