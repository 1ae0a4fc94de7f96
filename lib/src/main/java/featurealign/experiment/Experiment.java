package featurealign.experiment;

import featurealign.data.CelebAReader;
import featurealign.data.Cifar10Reader;
import featurealign.data.DataSetId;
import featurealign.data.DataStore;
import featurealign.data.ImageSet;
import featurealign.data.Split;
import featurealign.data.StandIn;
import featurealign.eval.FrechetDistance;
import featurealign.eval.ImageMetrics;
import featurealign.eval.Judge;
import featurealign.eval.JudgeConfig;
import featurealign.eval.MetricsTable;
import featurealign.eval.SampleQuality;
import featurealign.io.AtomicFiles;
import featurealign.train.*;
import featurealign.viz.Charts;
import featurealign.viz.ImageGrid;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.awt.*;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One walkthrough of the paper on one data set: the data, the FA-VAE-GAN run, and every figure and table, each written
 * under the output folder as it is made. Notebooks and the command line call exactly these methods.
 * <p>
 * Every method can be called again in any order: {@link #open} continues from the run's checkpoint when one exists,
 * {@link #train} trains only the steps still missing, and each figure draws its noise from its own seeded stream.
 */
public final class Experiment {

    /** Seeds of the figures' noise streams, offset from the run seed so figures do not depend on cell order. */
    private static final long ROWS_SEED = 303, INTERPOLATION_SEED = 404, PRIOR_COMPARISON_SEED = 707;

    private final RunConfig config;
    private final Path outputDir;
    private final ImageSet trainSet, testSet;
    private final FaTrainer trainer;
    /** Where the images came from when that was the generated stand-in, else null (real data). */
    private final DataStore.Location standIn;
    private final Map<String, BufferedImage> figures = new LinkedHashMap<>();
    private HeldOutEvaluation heldOut;
    private Judge judge;
    private Judge.Scores judgeScores;
    /** The progress listener {@link #train} registered last (replaced, not added to, by the next call). */
    private Progress.Listener progress;

    private Experiment(RunConfig config, Path outputDir, ImageSet trainSet, ImageSet testSet, FaTrainer trainer,
                       DataStore.Location standIn) {
        this.config = config;
        this.outputDir = outputDir;
        this.trainSet = trainSet;
        this.testSet = testSet;
        this.trainer = trainer;
        this.standIn = standIn;
    }

    /**
     * Loads the data set of {@code config} through the data store and starts the run, or continues it from
     * {@code outputDir/checkpoint.zip} when that holds a run with the same settings (a different one is an error that
     * says which file to remove).
     */
    public static Experiment open(RunConfig config, Path outputDir) throws IOException {
        return open(config, outputDir, load(config));
    }

    /**
     * A run's training and test images; {@code location} is where CIFAR-10 and CelebA came from (null for the sets
     * read through the store's own readers), its {@code standIn()} true for the kit's generated stand-in.
     */
    public record Data(ImageSet train, ImageSet test, DataStore.Location location) {
        public Data(ImageSet train, ImageSet test) {
            this(train, test, null);
        }

        /** True when the images are the generated stand-in, not the real data set. */
        public boolean standIn() {
            return location != null && location.standIn();
        }
    }

    /** {@link #load(RunConfig, DataStore)} with the store of this process's environment. */
    public static Data load(RunConfig config) throws IOException {
        return load(config, DataStore.fromEnvironment());
    }

    /**
     * The training and test images of {@code config}'s data set, through the data store (CelebA: cropped and resized to
     * the architecture's size, the first {@code trainLimit} training images and enough test images for the metrics).
     * The smoke profile never downloads CIFAR-10 or CelebA: without a copy on disk it runs on the generated stand-in
     * ({@link StandIn}). The other profiles need the real data; the error says how to get it.
     */
    public static Data load(RunConfig config, DataStore store) throws IOException {
        boolean smoke = config.profile().equals("smoke");
        return switch (config.dataset()) {
            case "mnist" -> new Data(store.mnist(Split.TRAIN), store.mnist(Split.TEST));
            case "fashion-mnist" -> new Data(store.fashionMnist(Split.TRAIN), store.fashionMnist(Split.TEST));
            case "cifar10" -> {
                DataStore.Location at = smoke ? store.locateOrStandIn(DataSetId.CIFAR10) : store.obtain(DataSetId.CIFAR10);
                yield new Data(Cifar10Reader.read(at.directory(), Split.TRAIN), Cifar10Reader.read(at.directory(), Split.TEST), at);
            }
            case "celeba" -> {
                int size = config.architecture().image().dim(1);
                CelebAReader.Preprocessing pre = new CelebAReader.Preprocessing(CelebAReader.Preprocessing.DEFAULT.cropSize(), size);
                int limit = config.trainLimit() > 0 ? config.trainLimit() : Integer.MAX_VALUE;
                DataStore.Location at = smoke ? store.locateOrStandIn(DataSetId.CELEBA) : store.obtain(DataSetId.CELEBA);
                yield new Data(CelebAReader.read(at.directory(), Split.TRAIN, pre, limit),
                        CelebAReader.read(at.directory(), Split.TEST, pre, Math.max(config.evalImages(), config.sampleImages())), at);
            }
            default -> throw new IllegalArgumentException("unknown dataset " + config.dataset());
        };
    }

    /** As {@link #open(RunConfig, Path)} with data sets the caller loaded. */
    public static Experiment open(RunConfig config, Path outputDir, ImageSet train, ImageSet test) throws IOException {
        return open(config, outputDir, new Data(train, test));
    }

    /**
     * As {@link #open(RunConfig, Path)} with data the caller loaded. A run on the generated stand-in leaves
     * {@value StandIn#MARKER} in its folder, and a checkpoint is continued only on the same kind of data.
     */
    public static Experiment open(RunConfig config, Path outputDir, Data data) throws IOException {
        return open(config, outputDir, data, null);
    }

    /**
     * As {@link #open(RunConfig, Path, Data)}, but a run that has no checkpoint in {@code outputDir} yet starts from
     * {@code branchFrom}, a checkpoint taken before the GAN phase of a run that may differ in its GAN settings
     * ({@link FaTrainer#branch}; training writes one beside its checkpoint, {@link FaTrainer#ganStartCheckpoint}).
     * Once the branch has its own checkpoint, it resumes from that. {@code branchFrom} null is a run from step 0.
     */
    public static Experiment open(RunConfig config, Path outputDir, Data data, Path branchFrom) throws IOException {
        ImageSet train = data.train(), test = data.test();
        Files.createDirectories(outputDir);
        Path ckpt = outputDir.resolve("checkpoint.zip");
        Path marker = outputDir.resolve(StandIn.MARKER);
        if (Files.exists(ckpt)) {
            requireSameKindOfData(ckpt, marker, data, "; delete it, or choose another output folder, to start this run");
        }
        if (data.standIn()) {
            featurealign.io.AtomicFiles.write(marker, o -> o.write((StandIn.explanation(data.location().id(),
                    data.location().directory()) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } else {
            Files.deleteIfExists(marker);
        }
        FaTrainer trainer;
        if (Files.exists(ckpt)) {
            // The saved run may plan another number of steps than this config (a longer run continues it); every
            // other setting must match.
            trainer = FaTrainer.resume(ckpt, train, (saved, savedStep) -> {
                if (!sameRun(saved, config, savedStep)) {
                    throw new IllegalStateException(ckpt + " holds a run with other settings (profile " + saved.profile()
                            + ", " + saved.steps() + " steps); delete it, or choose another output folder, to start this one");
                }
                return config;
            });
        } else if (branchFrom != null) {
            requireSameKindOfData(branchFrom, branchFrom.toAbsolutePath().resolveSibling(StandIn.MARKER), data, "");
            trainer = FaTrainer.branch(branchFrom, train, config);
        } else {
            trainer = new FaTrainer(config, train);
        }
        trainer.checkpointTo(ckpt);
        // A finished run asked for CLASS_GAUSSIAN that has no prior of its final encoder (it trained with STANDARD, or
        // before the setting existed): fit it once and keep it with the run.
        if (config.samplingPrior() == RunConfig.SamplingPrior.CLASS_GAUSSIAN && trainer.step() > 0
                && trainer.step() >= config.steps() && !trainer.priorCurrent()) {
            trainer.fitPrior();
            trainer.saveCheckpoint(ckpt);
        }
        return new Experiment(config, outputDir, train, test, trainer, data.standIn() ? data.location() : null);
    }

    /**
     * A checkpoint continues only on the kind of data it was trained on: the generated stand-in (its folder holds
     * {@code marker}) or real data.
     */
    private static void requireSameKindOfData(Path checkpoint, Path marker, Data data, String remedy) {
        if (Files.exists(marker) != data.standIn()) {
            throw new IllegalStateException(checkpoint + " was trained on " + (data.standIn() ? "real data" : "the generated stand-in")
                    + ", but this run has " + (data.standIn() ? "only the stand-in" : "real data") + remedy);
        }
    }

    /**
     * Where a run's outputs go: {@code $FA_RESULTS_DIR} if set, else the kit's {@code results/} folder (found from the
     * working directory, so notebooks and the command line agree), then {@code <dataset>} for the default {@code cpu}
     * profile and {@code <profile>/<dataset>} for the others (the {@code results/} of the repository holds the
     * default profile's outputs).
     */
    public static Path outputDirFor(RunConfig config) {
        String env = System.getenv("FA_RESULTS_DIR");
        Path base = env != null && !env.isBlank() ? Path.of(env) : kitRoot().resolve("results");
        return config.profile().equals("cpu") ? base.resolve(config.dataset()) : base.resolve(config.profile()).resolve(config.dataset());
    }

    /** The kit's root: the nearest folder up from the working directory that has pom.xml and notebooks/. */
    static Path kitRoot() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("notebooks"))) return p;
        }
        return here;
    }

    /**
     * {@link #open(RunConfig, Path)} in {@link #outputDirFor(RunConfig)}; a run on the generated stand-in goes to
     * {@code <dataset>-standin} beside it, so it never mixes with a run on the real data.
     */
    public static Experiment open(RunConfig config) throws IOException {
        Data data = load(config);
        Path dir = outputDirFor(config);
        return open(config, data.standIn() ? dir.resolveSibling(dir.getFileName() + "-standin") : dir, data);
    }

    /**
     * Same run when everything but the planned number of steps, the output bookkeeping and the sampling prior (which
     * does not change training: a finished run can switch it) matches.
     */
    static boolean sameRun(RunConfig saved, RunConfig config, long savedStep) {
        var pa = saved.toProperties();
        var pb = config.toProperties();
        // Sampling settings only change how a run samples, except that gan.prior = CLASS_GAUSSIAN draws the GAN phase's
        // latents at the sampling temperature from class Gaussians of sampling.fitImages images: a run stopped inside
        // its GAN phase must go on with the ones it started with.
        boolean insideGanPhase = config.gan() && config.ganOptions().prior() == RunConfig.SamplingPrior.CLASS_GAUSSIAN
                && savedStep > config.ganStartStep() && savedStep < config.steps();
        List<String> free = new ArrayList<>(List.of("steps", "checkpointEvery", "gcEvery", "evalImages", "sampleImages",
                "evalEvery", "profile", "sampling.prior"));
        if (!insideGanPhase) free.addAll(List.of("sampling.fitImages", "sampling.temperature"));
        for (String k : free) {
            pa.remove(k);
            pb.remove(k);
        }
        return pa.equals(pb);
    }

    public RunConfig config() { return config; }

    public Path outputDir() { return outputDir; }

    public ImageSet trainSet() { return trainSet; }

    public ImageSet testSet() { return testSet; }

    public FaTrainer trainer() { return trainer; }

    public FaModel model() { return trainer.model(); }

    /**
     * What this run is, for the top of a notebook or log: one line, then the settings that depart from the authors'
     * ({@link RunConfig#departures()}), one per line.
     */
    public String describe() {
        StringBuilder b = new StringBuilder(standIn == null ? "" : StandIn.explanation(standIn.id(), standIn.directory()) + "\n");
        b.append(String.format(
                "%s · profile %s · %d steps of batch %d (%s) · %d training images · %d test images · step %d done",
                config.dataset(), config.profile(), config.steps(), config.batchSize(),
                config.gan() ? "GAN from step " + config.ganStartStep() : "no GAN", trainer.data().size(),
                testSet.size(), trainer.step()));
        var d = config.departures();
        b.append(d.isEmpty() ? "\nthe authors' settings (no departures)" : "\ndepartures from the authors' settings:");
        d.forEach((k, v) -> b.append("\n  ").append(k).append(" = ").append(v));
        return b.toString();
    }

    /**
     * Trains the steps still missing, printing about {@code lines} progress lines and every held-out evaluation (every
     * {@code evalEvery} steps; the judge is loaded, or trained and cached, first), then saves the history.
     */
    public void train(PrintStream out, int lines) throws IOException {
        train(out, Progress.evenly(out, config.steps(), lines));
    }

    /**
     * Trains the steps still missing with a custom progress listener; judge messages go to {@code log}. The listener
     * replaces the one of the previous call, so re-running a training cell prints its progress once.
     */
    public void train(PrintStream log, Progress.Listener listener) throws IOException {
        if (config.evalEvery() > 0 && !trainer.evaluates() && trainer.step() < config.steps()) {
            trainer.evaluateWith(heldOut(log));
        }
        if (progress != null) trainer.removeProgress(progress);
        progress = listener;
        trainer.onProgress(listener);
        trainer.train();
        trainer.history().saveCsv(outputDir.resolve("history.csv"));
    }

    /** The held-out evaluation of this run (with the data set's judge when it is labelled and conditioned). */
    public HeldOutEvaluation heldOut(PrintStream log) throws IOException {
        if (heldOut == null) {
            heldOut = new HeldOutEvaluation(config, testSet, testSet.hasLabels() ? judge(log) : null, trainer.data());
        }
        return heldOut;
    }

    // ------------------------------------------------------------------ figures

    /** A grid of the first {@code n} training images. */
    public BufferedImage dataPeek(int n) throws IOException {
        INDArray x = trainSet.toNCHW(range(Math.min(n, trainSet.size())), config.dataType());
        return keep("data", ImageGrid.grid(x, columns(n), ImageGrid.DEFAULT_PADDING, scale()));
    }

    /** Encoder losses (log scale) and, once the GAN trains, the GAN losses, from the history. */
    public BufferedImage lossChart() throws IOException {
        Table h = trainer.history().table();
        if (h.rowCount() == 0) throw new IllegalStateException("no training steps yet: call train first");
        int smooth = Math.max(1, h.rowCount() / 50);
        List<BufferedImage> parts = new ArrayList<>();
        parts.add(Charts.toImage(Charts.lossChart(h, Charts.LossChartOptions.defaults()
                .withTitle("Encoder losses (sums over the batch)").withLogY(true).withSmoothing(smooth).withSize(800, 360),
                History.STEP, History.RECONSTRUCTION, History.KL)));
        if (h.doubleColumn(History.GENERATOR).countMissing() < h.rowCount()) {
            parts.add(Charts.toImage(Charts.lossChart(h, Charts.LossChartOptions.defaults()
                    .withTitle("Least-squares GAN losses").withSmoothing(smooth).withSize(800, 300),
                    History.STEP, History.GENERATOR, History.DISCRIMINATOR_REAL, History.DISCRIMINATOR_FAKE)));
        }
        return keep("losses", stack(parts));
    }

    /**
     * Held-out quality against training time, from the evaluations in the history (every {@code evalEvery} steps):
     * reconstruction PSNR, and the judge's accuracy on reconstructions and samples (labelled data) or the spread of
     * the samples against real images' (unlabelled data). Written as {@code quality.png}.
     */
    public BufferedImage qualityChart() throws IOException {
        return keep("quality", qualityChart(History.TRAINING_MINUTES, "training minutes"));
    }

    /** The same curves against epochs (passes over the training images), for long runs; {@code quality_per_epoch.png}. */
    public BufferedImage qualityPerEpochChart() throws IOException {
        return keep("quality_per_epoch", qualityChart(EPOCHS, "epochs"));
    }

    private static final String EPOCHS = "epochs";

    private BufferedImage qualityChart(String x, String xLabel) {
        Table e = trainer.history().evaluationsWithTime();
        if (e.rowCount() == 0) {
            throw new IllegalStateException("no held-out evaluations in the history: set evalEvery > 0 and train");
        }
        double perEpoch = Math.ceil((double) trainer.data().size() / config.batchSize());
        e.addColumns(e.intColumn(History.STEP).divide(perEpoch).setName(EPOCHS));
        List<BufferedImage> parts = new ArrayList<>();
        parts.add(Charts.toImage(Charts.lossChart(e, Charts.LossChartOptions.defaults()
                .withTitle("Held-out reconstruction PSNR (" + e.rowCount() + " evaluations, " + config.evalImages() + " test images)")
                .withXLabel(xLabel).withYLabel("dB").withSize(800, 300), x, History.TEST_PSNR)));
        List<String> shares = new ArrayList<>();
        for (String c : List.of(History.TEST_JUDGE_RECONSTRUCTIONS, History.TEST_JUDGE_FA, History.TEST_JUDGE_GAN,
                History.TEST_SPREAD_FA, History.TEST_SPREAD_GAN)) {
            if (e.doubleColumn(c).countMissing() < e.rowCount()) shares.add(c);
        }
        boolean judged = shares.contains(History.TEST_JUDGE_FA);
        if (judged) shares.removeIf(c -> c.startsWith("test_spread"));
        if (!shares.isEmpty()) {
            parts.add(Charts.toImage(Charts.lossChart(e, Charts.LossChartOptions.defaults()
                    .withTitle(judged ? "Judge accuracy (share classified as the true or requested class)"
                            : "Sample spread (per-pixel std over samples / that of real images)")
                    .withXLabel(xLabel).withYLabel(judged ? "fraction" : "ratio").withSize(800, 300),
                    x, shares.toArray(String[]::new))));
        }
        return stack(parts);
    }

    /**
     * Test images (odd rows) above their FA reconstructions (even rows): posterior z = μ + σ·ε, true conditioning,
     * one alignment pass from r0 = 0, sigmoid — no decoder.
     */
    public BufferedImage reconstructions(int n) throws IOException {
        int[] idx = range(Math.min(n, testSet.size()));
        INDArray x = testSet.toNCHW(idx, config.dataType());
        INDArray cond = Conditioning.of(config.architecture(), testSet, idx, config.dataType());
        INDArray rec = model().reconstruct(x, cond, new Noise(config.seed() + HeldOutEvaluation.RECONSTRUCTION_SEED));
        return keep("reconstructions", ImageGrid.sideBySide(x, rec, columns(n), ImageGrid.DEFAULT_PADDING, scale()));
    }

    /** Prior samples (the run's {@code sampling.prior}) with labels cycling 0–9: FA only (the "VAE" samples). */
    public BufferedImage samples(int n) throws IOException {
        return keep("samples_fa", ImageGrid.grid(sampleImages(n).featureAlignment(), columns(n), ImageGrid.DEFAULT_PADDING, scale()));
    }

    /** The same prior samples refined by the generator. */
    public BufferedImage refinedSamples(int n) throws IOException {
        Inspection.Images s = sampleImages(n);
        if (s.refined() == null) throw new IllegalStateException("this run has no generator (gan = false)");
        return keep("samples_gan", ImageGrid.grid(s.refined(), columns(n), ImageGrid.DEFAULT_PADDING, scale()));
    }

    /**
     * {@code n} samples from one seeded stream and the run's prior, labels cycling over the classes (same for both
     * sample figures, the metrics and the exports).
     */
    public Inspection.Images sampleImages(int n) {
        ensurePrior();
        return HeldOutEvaluation.samples(model(), n);
    }

    /**
     * With {@code sampling.prior = CLASS_GAUSSIAN}, fits the prior when the model has none of its current encoder (a
     * run opened before its last step; a finished run has it from training or {@link #open}).
     */
    private void ensurePrior() {
        if (config.samplingPrior() == RunConfig.SamplingPrior.CLASS_GAUSSIAN && !trainer.priorCurrent()) trainer.fitPrior();
    }

    /** One row per class ({@code perClass} samples each): FA-only on the left block, GAN-refined on the right. */
    public BufferedImage classRows(int perClass) throws IOException {
        int k = Math.max(1, config.architecture().conditioning());
        int rows = Math.min(k, 10);
        ensurePrior();
        Inspection.Images s = Inspection.classRows(model(), rows, perClass, new Noise(config.seed() + ROWS_SEED));
        List<String> names = new ArrayList<>();
        for (int r = 0; r < rows; r++) names.add(rowName(r));
        BufferedImage fa = ImageGrid.gridWithRowLabels(s.featureAlignment(), perClass, ImageGrid.DEFAULT_PADDING, scale(), names);
        if (s.refined() == null) return keep("class_rows", fa);
        BufferedImage gan = ImageGrid.gridWithRowLabels(s.refined(), perClass, ImageGrid.DEFAULT_PADDING, scale(), names);
        return keep("class_rows", besideEachOther(fa, gan));
    }

    private String rowName(int r) {
        if (config.architecture().conditioning() == 0) return "";
        if (testSet.hasLabels() && testSet.classNames() != null && testSet.classNames().size() > r) return testSet.classNames().get(r);
        return Integer.toString(r);
    }

    /**
     * The 11×11 interpolation between the first four test images (GAN-refined when there is a generator). It mixes the
     * posterior latents of those images, so {@code sampling.prior} does not enter it.
     */
    public BufferedImage interpolation() throws IOException {
        int[] idx = range(4);
        INDArray x = testSet.toNCHW(idx, config.dataType());
        INDArray cond = Conditioning.of(config.architecture(), testSet, idx, config.dataType());
        Inspection.Images im = Inspection.interpolation(model(), x, cond, 11, new Noise(config.seed() + INTERPOLATION_SEED));
        keep("interpolation_fa", ImageGrid.grid(im.featureAlignment(), 11, ImageGrid.DEFAULT_PADDING, scale()));
        return im.refined() == null ? figures.get("interpolation_fa")
                : keep("interpolation_gan", ImageGrid.grid(im.refined(), 11, ImageGrid.DEFAULT_PADDING, scale()));
    }

    // ------------------------------------------------------------------ metrics

    /**
     * The run's metrics table, also written to {@code metrics.csv}: reconstruction MSE, PSNR and SSIM of the first
     * {@code evalImages} test images (z = μ + σ·ε and z = μ, true conditioning); for labelled data, the accuracy of the
     * kit's judge classifier on the real test set, on the reconstructions (true labels) and on FA-only and GAN samples
     * (labels cycling over the classes), and Fréchet distances in the judge's feature space between {@code sampleImages}
     * generated images and as many random test images, each next to the distance between two disjoint random real
     * sets of that size (the floor). The judge is trained on the training set on first use and cached.
     */
    public MetricsTable metrics(PrintStream log) throws IOException {
        MetricsTable t = new MetricsTable(config.dataset() + " · profile " + config.profile() + " · step " + trainer.step()
                + " · one run (seed " + config.seed() + "); seeds.csv has the mean ± sd over seeds");
        t.add("sampling prior", Double.NaN, "", priorNote()); // the setting's name leads the note
        var dt = config.dataType();
        HeldOutEvaluation h = heldOut(log);
        ensurePrior();
        // The last held-out evaluation, measured again on the same streams, and then what only the end computes.
        HeldOutEvaluation.Measured measured = h.measure(model(), trainer.step());
        var v = measured.values();
        int n = h.imageCount();
        INDArray x = measured.images(), cond = measured.condition(), rec = measured.reconstructions();
        String recNote = "first " + n + " test images, z = μ + σ·ε, true " + (cond == null ? "(no) conditioning" : "labels");
        t.add("reconstruction MSE", v.get(History.TEST_MSE), "per pixel", recNote);
        t.add("reconstruction PSNR", v.get(History.TEST_PSNR), "dB", "of the mean MSE; " + recNote);
        if (Math.min(x.size(2), x.size(3)) >= 11) { // SSIM's Gaussian window is 11 pixels wide
            t.add("reconstruction SSIM", ImageMetrics.meanSsim(rec, x), "", "Gaussian window 11, σ 1.5; " + recNote);
        }
        INDArray recMean = model().reconstruct(x, cond, null);
        t.add("reconstruction MSE, z = μ", ImageMetrics.meanMse(recMean, x), "per pixel", "first " + n + " test images, deterministic latent");
        recMean.close();
        int m = h.sampleCount();
        // G's samples count once G has trained, as in the held-out evaluations (before that they are not refined).
        Inspection.Images smp = measured.samples();
        int k = config.architecture().conditioning();
        String sNote = m + " prior samples" + (k > 0 ? ", labels cycling 0–" + (k - 1) : "");
        String spreadNote = "per-pixel std over " + sNote + ", over that of " + m + " test images ("
                + String.format(java.util.Locale.ROOT, "%.4f", h.realSpread()) + "); 0 = all alike, 1 = as varied as real images";
        t.add("sample spread, FA samples", v.get(History.TEST_SPREAD_FA), "ratio", spreadNote);
        if (smp.refined() != null) t.add("sample spread, GAN samples", v.get(History.TEST_SPREAD_GAN), "ratio", spreadNote);
        // Two disjoint random real sets of the samples' size: the reference for sharpness, colour and the Fréchet
        // distance, and its floor (MNIST's test set is ordered: its halves differ a lot in judge space).
        int[] perm = ImageSet.sampleIndices(testSet.size(), Math.min(testSet.size(), 2 * m), config.seed() + 505);
        java.util.List<Integer> shuffled = new java.util.ArrayList<>();
        for (int i : perm) shuffled.add(i);
        java.util.Collections.shuffle(shuffled, new java.util.Random(config.seed() + 505));
        int half = Math.min(m, shuffled.size() / 2);
        int[] a = shuffled.subList(0, half).stream().mapToInt(Integer::intValue).toArray();
        int[] b = shuffled.subList(half, 2 * half).stream().mapToInt(Integer::intValue).toArray();
        INDArray realA = testSet.toNCHW(a, dt), realB = testSet.toNCHW(b, dt);
        String sharpNote = "gradient energy over that of " + half + " random test images; 1 = as sharp as real images";
        t.add("sharpness, reconstructions", ImageMetrics.sharpnessRatio(rec, x), "ratio",
                "gradient energy over that of the " + n + " test images reconstructed; 1 = as sharp");
        t.add("sharpness, FA samples", ImageMetrics.sharpnessRatio(smp.featureAlignment(), realA), "ratio", sharpNote);
        if (smp.refined() != null) t.add("sharpness, GAN samples", ImageMetrics.sharpnessRatio(smp.refined(), realA), "ratio", sharpNote);
        // The data's colour from every test image: a random half's means are off by ~0.015 on CelebA's 500 faces.
        INDArray allTest = testSet.toNCHW(java.util.stream.IntStream.range(0, testSet.size()).toArray(), dt);
        double[] realMeans = ImageMetrics.channelMeans(allTest);
        allTest.close();
        t.add("channel means, FA samples", ImageMetrics.maxAbsDifference(ImageMetrics.channelMeans(smp.featureAlignment()), realMeans),
                "max |Δ|", channelNote(ImageMetrics.channelMeans(smp.featureAlignment()), realMeans, m, testSet.size()));
        if (smp.refined() != null) {
            t.add("channel means, GAN samples", ImageMetrics.maxAbsDifference(ImageMetrics.channelMeans(smp.refined()), realMeans),
                    "max |Δ|", channelNote(ImageMetrics.channelMeans(smp.refined()), realMeans, m, testSet.size()));
        }
        if (realA.size(1) == 3) {
            // Saturated colour patches (a refiner's colour cast) can keep the channel means; colourfulness sees them.
            String colourNote = "colourfulness (Hasler–Süsstrunk) over that of " + half + " random test images; 1 = as colourful";
            t.add("colourfulness, FA samples", ImageMetrics.colourfulnessRatio(smp.featureAlignment(), realA), "ratio", colourNote);
            if (smp.refined() != null) {
                t.add("colourfulness, GAN samples", ImageMetrics.colourfulnessRatio(smp.refined(), realA), "ratio", colourNote);
            }
        }
        Judge judge = judgeOrNull(log);
        if (judge != null) {
            Judge.Scores scores = judgeScores(log);
            SampleQuality q = new SampleQuality(judge);
            boolean classes = judge.target() == Judge.Target.CLASSES;
            String what = classes ? "judge accuracy" : "judge attribute accuracy";
            t.add(what + ", real test images", scores.real(), "fraction",
                    scores.images() + " test images (the judge's own quality)");
            t.add(what + ", blurred test images", scores.blurred(), "fraction", scores.images()
                    + " test images blurred with Gaussian σ = " + scores.blurSigma() + " px (the judge's own quality)");
            if (!classes) {
                t.add("judge attribute accuracy, majority baseline", attributeMajorityBaseline(trainSet, testSet), "fraction",
                        "each attribute's most common value in the training images, on the test images: what a judge must beat");
            }
            if (classes) {
                t.add("judge accuracy, reconstructions", v.get(History.TEST_JUDGE_RECONSTRUCTIONS), "fraction",
                        "w.r.t. the true labels; " + recNote);
            } else {
                try (INDArray attributes = testSet.attributesMatrix(range(n), org.nd4j.linalg.api.buffer.DataType.FLOAT)) {
                    t.add("judge attribute accuracy, reconstructions", judge.attributeAccuracy(rec, attributes), "fraction",
                            "w.r.t. the true attributes; " + recNote);
                }
            }
            if (classes && k > 0) {
                t.add("judge accuracy, FA samples", v.get(History.TEST_JUDGE_FA), "fraction", "w.r.t. the requested labels; " + sNote);
            }
            t.addFrechet("Fréchet distance, FA samples", q.compare(smp.featureAlignment(), realA, realB), "vs random test images");
            if (smp.refined() != null) {
                if (classes && k > 0) {
                    t.add("judge accuracy, GAN samples", v.get(History.TEST_JUDGE_GAN), "fraction", "w.r.t. the requested labels; " + sNote);
                }
                t.addFrechet("Fréchet distance, GAN samples", q.compare(smp.refined(), realA, realB), "vs random test images");
            }
        }
        realA.close();
        realB.close();
        measured.close();
        t.saveCsv(outputDir.resolve("metrics.csv"));
        return t;
    }

    /** The metrics table's note on the sampling prior: the setting's name first, then what it means for this run. */
    private String priorNote() {
        return switch (config.samplingPrior()) {
            case STANDARD -> "STANDARD: samples draw z ~ N(0, I), as in the reference";
            case CLASS_GAUSSIAN -> "CLASS_GAUSSIAN: samples draw z from " + (LatentPrior.classCount(config.architecture(),
                    trainer.data()) > 1 ? "one diagonal Gaussian per class" : "one diagonal Gaussian") + " fitted to the posterior means of "
                    + LatentPrior.fitIndices(trainer.data(), config.fitImages(), config.seed()).length + " training images";
        };
    }

    /**
     * The two priors' figure and numbers ({@link #priorComparison(int, PrintStream)}); prints as its table without the
     * notes (they are in {@code numbers} and the CSV), then {@code about}, what was compared.
     */
    public record PriorComparison(BufferedImage figure, Table numbers, String about) {
        @Override public String toString() { return numbers.copy().removeColumns("note").printAll() + "\n" + about; }
    }

    /** {@link #priorComparison(int, PrintStream)} with judge messages on standard output. */
    public PriorComparison priorComparison(int perClass) throws IOException {
        return priorComparison(perClass, System.out);
    }

    /**
     * The two sampling priors on the same ε, whatever this run's {@code sampling.prior}: a figure with one row per
     * class ({@code perClass} FA samples each; four rows when unconditioned), z ~ N(0,I) on the left and the class
     * Gaussian on the right ({@code prior_comparison.png}), and their numbers on the metrics' samples
     * ({@code sampleImages} of them, labels cycling, the same ε for both): the spread and mean pixel value of FA and GAN
     * samples against test images', and for labelled data the judge's accuracy and the Fréchet distance
     * ({@code prior_comparison.csv}: columns metric, STANDARD, CLASS_GAUSSIAN, unit, note). The class Gaussian is the
     * run's own when it is current, else one fitted now on the same training images for this comparison only (the run
     * keeps sampling from its setting).
     */
    public PriorComparison priorComparison(int perClass, PrintStream log) throws IOException {
        if (perClass < 1) throw new IllegalArgumentException("perClass must be >= 1, got " + perClass);
        LatentPrior fitted = trainer.priorCurrent() ? model().prior() : LatentPrior.fit(model(), trainer.data(), config.fitImages());
        String classLabel = fitted.classes() > 1 ? "class Gaussian" : "class Gaussian (one class)";
        int k = config.architecture().conditioning();
        int rows = k > 0 ? Math.min(k, 10) : 4;
        int n = rows * perClass;
        INDArray cond = null;
        List<String> names = new ArrayList<>();
        if (k > 0) {
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) labels[i] = i / perClass;
            cond = Conditioning.oneHot(labels, k, config.dataType());
            for (int r = 0; r < rows; r++) names.add(rowName(r));
        }
        // Two streams with one seed: the same ε (and random probes, if any) through both priors.
        long seed = config.seed() + PRIOR_COMPARISON_SEED;
        INDArray standard = model().sample(n, cond, new Noise(seed), null);
        INDArray gaussian = model().sample(n, cond, new Noise(seed), fitted);
        BufferedImage left = k > 0 ? ImageGrid.gridWithRowLabels(standard, perClass, ImageGrid.DEFAULT_PADDING, scale(), names)
                : ImageGrid.grid(standard, perClass, ImageGrid.DEFAULT_PADDING, scale());
        BufferedImage right = k > 0 ? ImageGrid.gridWithRowLabels(gaussian, perClass, ImageGrid.DEFAULT_PADDING, scale(), names)
                : ImageGrid.grid(gaussian, perClass, ImageGrid.DEFAULT_PADDING, scale());
        BufferedImage figure = keep("prior_comparison", besideEachOther(titled(left, "z ~ N(0,I)"), titled(right, classLabel)));

        HeldOutEvaluation h = heldOut(log);
        int m = h.sampleCount();
        Inspection.Images a = HeldOutEvaluation.samples(model(), m, null), b = HeldOutEvaluation.samples(model(), m, fitted);
        Table t = Table.create(config.dataset() + " · profile " + config.profile() + " · step " + trainer.step()
                        + " · sampling priors on the same ε", StringColumn.create("metric"), DoubleColumn.create("STANDARD"),
                DoubleColumn.create("CLASS_GAUSSIAN"), StringColumn.create("unit"), StringColumn.create("note"));
        String sNote = m + " samples" + (k > 0 ? ", labels cycling 0–" + (k - 1) : "") + ", the same ε for both priors";
        String fitNote = "; the class Gaussian has " + fitted.classes() + (fitted.classes() > 1 ? " classes" : " class")
                + ", fitted to " + fitted.imageCount() + " training images' posterior means";
        addRow(t, "sample spread, FA samples", ImageMetrics.spread(a.featureAlignment()) / h.realSpread(),
                ImageMetrics.spread(b.featureAlignment()) / h.realSpread(), "ratio", "per-pixel std over " + sNote
                        + ", over that of " + m + " test images" + fitNote);
        if (a.refined() != null) {
            addRow(t, "sample spread, GAN samples", ImageMetrics.spread(a.refined()) / h.realSpread(),
                    ImageMetrics.spread(b.refined()) / h.realSpread(), "ratio", "per-pixel std over " + sNote);
        }
        try (INDArray real = testSet.toNCHW(range(m), config.dataType())) {
            double[] realMean = channelMeans(real), faA = channelMeans(a.featureAlignment()), faB = channelMeans(b.featureAlignment());
            for (int c = 0; c < realMean.length; c++) {
                String ch = realMean.length == 1 ? "" : ", channel " + "RGB".charAt(Math.min(c, 2));
                addRow(t, "mean pixel value, FA samples" + ch, faA[c], faB[c], "[0,1]", sNote);
                addRow(t, "mean pixel value, real test images" + ch, realMean[c], realMean[c], "[0,1]",
                        "first " + m + " test images (the same for both)");
            }
        }
        if (testSet.hasLabels() && k > 0) {
            SampleQuality q = new SampleQuality(judge(log));
            int[] requested = HeldOutEvaluation.sampleLabels(config, m);
            INDArray[] realSets = randomRealSets(m);
            FrechetDistance.Statistics realStats = q.statistics(realSets[0]);
            double floor = q.realFloor(realSets[0], realSets[1]);
            for (boolean gan : new boolean[]{false, true}) {
                INDArray sa = gan ? a.refined() : a.featureAlignment(), sb = gan ? b.refined() : b.featureAlignment();
                if (sa == null) continue;
                String what = gan ? "GAN samples" : "FA samples";
                addRow(t, "judge accuracy, " + what, q.accuracy(sa, requested), q.accuracy(sb, requested), "fraction",
                        "w.r.t. the requested labels; " + sNote);
                addRow(t, "Fréchet distance, " + what, q.frechet(sa, realStats), q.frechet(sb, realStats), "judge features²",
                        m + " images per set; vs random test images");
            }
            addRow(t, "Fréchet distance (real-vs-real floor)", floor, floor, "judge features²",
                    m + " images per set, two disjoint real sets (the same for both)");
        }
        Path csv = outputDir.resolve("prior_comparison.csv");
        AtomicFiles.write(csv, out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            t.write().csv(w);
            w.flush();
        });
        String about = "CLASS_GAUSSIAN: " + fitted.classes() + (fitted.classes() > 1 ? " Gaussians" : " Gaussian")
                + " fitted to the posterior means of " + fitted.imageCount() + " training images; numbers on " + sNote
                + "; this run samples from " + config.samplingPrior() + "; notes in " + csv.getFileName();
        return new PriorComparison(figure, t, about);
    }

    private static void addRow(Table t, String metric, double standard, double gaussian, String unit, String note) {
        t.stringColumn("metric").append(metric);
        t.doubleColumn("STANDARD").append(standard);
        t.doubleColumn("CLASS_GAUSSIAN").append(gaussian);
        t.stringColumn("unit").append(unit);
        t.stringColumn("note").append(note);
    }

    /** Mean pixel value of each channel of {@code [N,C,H,W]} images. */
    private static double[] channelMeans(INDArray images) {
        return images.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).mean(0, 2, 3).toDoubleVector();
    }

    /** Two disjoint random sets of {@code m} test images: the draw {@link #metrics} makes (seed + 505), so the same sets. */
    private INDArray[] randomRealSets(int m) {
        int[] perm = ImageSet.sampleIndices(testSet.size(), 2 * m, config.seed() + 505);
        List<Integer> shuffled = new ArrayList<>();
        for (int i : perm) shuffled.add(i);
        java.util.Collections.shuffle(shuffled, new java.util.Random(config.seed() + 505));
        int[] a = shuffled.subList(0, m).stream().mapToInt(Integer::intValue).toArray();
        int[] b = shuffled.subList(m, 2 * m).stream().mapToInt(Integer::intValue).toArray();
        return new INDArray[]{testSet.toNCHW(a, config.dataType()), testSet.toNCHW(b, config.dataType())};
    }

    /** {@code image} under a one-line title on white. */
    static BufferedImage titled(BufferedImage image, String title) {
        Font font = new Font(Font.SANS_SERIF, Font.BOLD, 14);
        int header = 24;
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight() + header, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(font);
        g.setColor(Color.BLACK);
        g.drawString(title, 4, header - 7);
        g.drawImage(image, 0, header, null);
        g.dispose();
        return out;
    }

    /**
     * The judge settings of a data set: {@link JudgeConfig#mnist()}, {@link JudgeConfig#cifar10()} or
     * {@link JudgeConfig#celeba()} (Fashion-MNIST uses MNIST's).
     */
    public static JudgeConfig judgeConfigFor(String dataset) {
        return switch (dataset) {
            case "mnist", "fashion-mnist" -> JudgeConfig.mnist();
            case "cifar10" -> JudgeConfig.cifar10();
            case "celeba" -> JudgeConfig.celeba();
            default -> JudgeConfig.defaults();
        };
    }

    /**
     * The judge of a data set trained on {@code train} (classes when labelled, else attributes), cached under the data
     * store's cache ({@code judges/<name>.judge}) by a key over its data, architecture, training and augmentation.
     */
    public static Judge judgeFor(String dataset, String name, ImageSet train, PrintStream log) throws IOException {
        return judgeFor(judgeDirectory(), dataset, name, train, log);
    }

    /** As {@link #judgeFor(String, String, ImageSet, PrintStream)}, cached in {@code directory}. */
    public static Judge judgeFor(Path directory, String dataset, String name, ImageSet train, PrintStream log) throws IOException {
        return judgeFor(directory, name, train, judgeConfigFor(dataset), log);
    }

    /** The system property that moves the judges' cache (the kit's tests point it into their build folder). */
    public static final String JUDGE_DIRECTORY_PROPERTY = "featurealign.judges";

    /**
     * Where judges are cached: the system property {@value #JUDGE_DIRECTORY_PROPERTY} when set, else {@code judges/}
     * in the data store's cache (where the walkthroughs find them).
     */
    public static Path judgeDirectory() {
        String p = System.getProperty(JUDGE_DIRECTORY_PROPERTY);
        return p != null && !p.isBlank() ? Path.of(p) : userJudgeDirectory();
    }

    /** {@code judges/} in the data store's cache. */
    public static Path userJudgeDirectory() {
        return DataStore.fromEnvironment().cacheRoot().resolve("judges");
    }

    private static Judge judgeFor(Path directory, String name, ImageSet train, JudgeConfig config, PrintStream log)
            throws IOException {
        return Judge.loadOrTrain(directory.resolve(name + ".judge"), train, config, log::println);
    }

    /**
     * The judge of this data set: a classifier of the classes for labelled data, of the attributes for CelebA; cached
     * in {@link #judgeDirectory()}, trained on the training set on first use (a smoke run trains a
     * small one for one epoch on at most 2,000 images). Its own {@link #judgeScores scores} are printed once.
     */
    public Judge judge(PrintStream log) throws IOException {
        if (judge == null) {
            if (!trainSet.hasLabels() && !trainSet.hasAttributes()) {
                throw new IllegalStateException(config.dataset() + " has neither labels nor attributes: no judge");
            }
            judge = config.profile().equals("smoke")
                    ? judgeFor(judgeDirectory(), config.dataset() + "-smoke", trainSet.first(Math.min(2000, trainSet.size())),
                            judgeConfigFor(config.dataset()).withEpochs(1), log)
                    : judgeFor(config.dataset(), config.dataset(), trainSet, log);
            log.println("judge: " + judgeScores(log));
        }
        return judge;
    }

    /** The judge, or null when the data set has neither labels nor attributes. */
    private Judge judgeOrNull(PrintStream log) throws IOException {
        return trainSet.hasLabels() || trainSet.hasAttributes() ? judge(log) : null;
    }

    /** The judge's own quality on this run's test images: as they are and blurred with σ = 2 px (computed once). */
    public Judge.Scores judgeScores(PrintStream log) throws IOException {
        if (judgeScores == null) judgeScores = judge(log).score(testSet, 2.0);
        return judgeScores;
    }

    /**
     * The mean attribute accuracy on {@code test} of predicting, for every attribute, its most common value in
     * {@code train}: the floor an attribute judge must clear (most CelebA attributes are rare).
     */
    public static double attributeMajorityBaseline(ImageSet train, ImageSet test) {
        int k = train.attributeNames().size();
        long[] positive = new long[k];
        for (int i = 0; i < train.size(); i++) {
            byte[] a = train.attributes(i);
            for (int j = 0; j < k; j++) if (a[j] > 0) positive[j]++;
        }
        long correct = 0;
        for (int i = 0; i < test.size(); i++) {
            byte[] a = test.attributes(i);
            for (int j = 0; j < k; j++) if ((a[j] > 0) == (2 * positive[j] > train.size())) correct++;
        }
        return (double) correct / ((long) test.size() * k);
    }

    private static String channelNote(double[] means, double[] real, int sampleCount, int realCount) {
        StringBuilder b = new StringBuilder("largest difference of the per-channel means of " + sampleCount
                + " samples from those of all " + realCount + " test images; means ");
        b.append(ImageMetrics.formatMeans(means)).append(" vs real ").append(ImageMetrics.formatMeans(real));
        return b.toString();
    }

    /**
     * The profile's numbers over seeds, from {@code seeds.csv} in this run's folder (written by
     * {@code featurealign seeds}): "metric: mean ± sd (n seeds)" per line, or what to run when there is none yet.
     */
    public String seedSummary() throws IOException {
        Path file = outputDir.resolve(SeedStudy.CSV);
        if (!Files.isRegularFile(file)) {
            return "no " + SeedStudy.CSV + " in " + outputDir + " yet: 'environment/featurealign seeds --dataset "
                    + config.dataset() + " --profile " + config.profile() + "' measures this profile over 3 seeds";
        }
        Table t = Table.read().csv(tech.tablesaw.io.csv.CsvReadOptions.builder(file.toFile()).build());
        StringBuilder b = new StringBuilder(config.dataset() + " · profile " + config.profile() + " · mean ± sd over seeds ("
                + file.getFileName() + ")\n");
        for (int r = 0; r < t.rowCount(); r++) {
            String metric = t.column("metric").getString(r);
            if (t.column("mean").isMissing(r)) continue;
            double mean = ((Number) t.column("mean").get(r)).doubleValue();
            double sd = t.column("sd").isMissing(r) ? Double.NaN : ((Number) t.column("sd").get(r)).doubleValue();
            b.append(String.format(java.util.Locale.ROOT, "  %-48s %10.4f ± %.4f  (%s seeds)%n", metric, mean, sd,
                    t.column("n").getString(r)));
        }
        return b.toString();
    }

    /** The figures made so far, by file stem. */
    public Map<String, BufferedImage> figures() { return figures; }

    // ------------------------------------------------------------------ helpers

    private BufferedImage keep(String name, BufferedImage image) throws IOException {
        if (standIn != null) image = ImageGrid.titled(image, StandIn.title(standIn.id()));
        figures.put(name, image);
        ImageGrid.savePng(image, outputDir.resolve(name + ".png"));
        return image;
    }

    private int scale() { return config.architecture().image().dim(1) <= 32 ? 2 : 1; }

    private static int columns(int n) { return (int) Math.max(1, Math.round(Math.sqrt(n))); }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    static BufferedImage stack(List<BufferedImage> parts) {
        int w = parts.stream().mapToInt(BufferedImage::getWidth).max().orElse(1);
        int h = parts.stream().mapToInt(BufferedImage::getHeight).sum();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        int y = 0;
        for (BufferedImage p : parts) { g.drawImage(p, 0, y, null); y += p.getHeight(); }
        g.dispose();
        return out;
    }

    static BufferedImage besideEachOther(BufferedImage a, BufferedImage b) {
        int gap = 12;
        BufferedImage out = new BufferedImage(a.getWidth() + gap + b.getWidth(), Math.max(a.getHeight(), b.getHeight()),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(a, 0, 0, null);
        g.drawImage(b, a.getWidth() + gap, 0, null);
        g.dispose();
        return out;
    }
}
