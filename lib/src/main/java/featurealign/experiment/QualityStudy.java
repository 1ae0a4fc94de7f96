package featurealign.experiment;

import featurealign.io.AtomicFiles;
import featurealign.train.History;
import featurealign.train.Progress;
import featurealign.train.RunConfig;
import featurealign.viz.Charts;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Held-out quality against training time, for the reference settings and named departures from them: one run per
 * {@link Variant}, each training the encoder alone (reconstructions and FA samples depend on the encoder only; the GAN
 * refines afterwards) and evaluated ten times along the way ({@link HeldOutEvaluation}: test PSNR, judge accuracy of
 * reconstructions and FA samples, sample spread). Every run's history, with its seconds of training per step, is kept,
 * so the curves can be read against wall-clock time. The {@code cpu} profiles were chosen from these curves.
 * <p>
 * A study lives in one folder: {@code <variant>/history.csv} and {@code <variant>/settings.properties} per run,
 * {@code summary.csv} and {@code study.png} for all. A variant whose history is complete is not run again, so an
 * interrupted study continues where it stopped.
 */
public final class QualityStudy {

    /**
     * One run of a study.
     *
     * @param name     short name (folder and legend)
     * @param change   what it changes, in words
     * @param settings {@link RunConfig#with(String, String)} overrides of the reference settings, {@code steps}
     *                 included (the study's runs differ in step cost, so each has its own number of steps)
     */
    public record Variant(String name, String change, Map<String, String> settings) {
        public Variant {
            if (!name.matches("[a-z0-9][a-z0-9.-]*")) {
                throw new IllegalArgumentException("variant name must be lower-case letters, digits, '.' and '-', got '" + name + "'");
            }
            settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        }
    }

    /** A finished run: its settings and history (held-out evaluations included). */
    public record Outcome(Variant variant, RunConfig config, History history) {
        /** Seconds spent in training steps (evaluations excluded). */
        public double trainingSeconds() {
            DoubleColumn s = History.trainingSeconds(history.table());
            return s.isEmpty() ? 0 : s.getDouble(s.size() - 1);
        }

        /** The last evaluation's value of a {@link History#HELD_OUT} column, NaN if it has none. */
        public double last(String column) {
            Table e = history.evaluations();
            for (int i = e.rowCount() - 1; i >= 0; i--) {
                if (!e.doubleColumn(column).isMissing(i)) return e.doubleColumn(column).getDouble(i);
            }
            return Double.NaN;
        }
    }

    private final String dataset, profile;
    private final Path dir;
    private final Experiment.Data data;

    private QualityStudy(String dataset, String profile, Path dir, Experiment.Data data) {
        this.dataset = dataset;
        this.profile = profile;
        this.dir = dir;
        this.data = data;
    }

    /**
     * A study of {@code dataset} in {@code dir}. {@code profile} "smoke" shrinks every run to a few steps on a subset
     * (to check that a study runs, in CI); any other profile runs the variants as designed.
     */
    public static QualityStudy open(String dataset, String profile, Path dir) throws IOException {
        if (!RunConfig.PROFILES.contains(profile)) {
            throw new IllegalArgumentException("unknown profile '" + profile + "', expected one of " + RunConfig.PROFILES);
        }
        QualityStudy probe = new QualityStudy(dataset, profile, dir, null);
        Experiment.Data data = Experiment.load(probe.configOf(design(dataset).get(0)));
        Files.createDirectories(dir);
        return new QualityStudy(dataset, profile, dir, data);
    }

    /**
     * Where a study's files go: {@code $FA_RESULTS_DIR} or the kit's {@code results/}, then {@code study/<dataset>}
     * (smoke: {@code smoke/study/<dataset>}).
     */
    public static Path outputDirFor(String dataset, String profile) {
        Path results = Experiment.outputDirFor(RunConfig.profile(profile, dataset)).getParent();
        if (!profile.equals("cpu")) results = results.getParent().resolve(profile);
        return results.resolve("study").resolve(dataset);
    }

    public Path dir() { return dir; }

    /** The settings of a variant's run: the reference (paper profile, encoder only) with the variant's changes. */
    public RunConfig configOf(Variant v) {
        RunConfig c = RunConfig.profile("paper", dataset).with(v.settings()).with("gan", "false")
                .with("checkpointEvery", "0");
        int evalEvery = v.settings().containsKey("evalEvery") ? c.evalEvery() : Math.max(1, c.steps() / 10);
        c = c.with("evalEvery", Integer.toString(evalEvery));
        if (profile.equals("smoke")) {
            RunConfig smoke = RunConfig.profile("smoke", dataset);
            c = c.with("profile", "smoke").with("steps", "6").with("evalEvery", "3")
                    .with("trainLimit", Integer.toString(smoke.trainLimit()))
                    .with("evalImages", Integer.toString(smoke.evalImages()))
                    .with("sampleImages", Integer.toString(smoke.sampleImages()));
        }
        return c;
    }

    /** Runs (or, when its history is complete, reads) one variant. */
    public Outcome run(Variant v, PrintStream out) throws IOException {
        RunConfig config = configOf(v);
        Path runDir = dir.resolve(v.name());
        Path historyFile = runDir.resolve("history.csv");
        Path settingsFile = runDir.resolve("settings.properties");
        if (Files.isRegularFile(historyFile) && Files.isRegularFile(settingsFile)) {
            Properties saved = new Properties();
            try (var r = Files.newBufferedReader(settingsFile, StandardCharsets.UTF_8)) { saved.load(r); }
            History h = History.fromCsv(Files.readString(historyFile, StandardCharsets.UTF_8), historyFile.toString());
            Properties expected = config.toProperties();
            // Read back through RunConfig, so settings added since the run (absent keys, read with their reference
            // values, e.g. sampling.prior) do not make a complete run look different.
            try {
                saved = RunConfig.fromProperties(saved).toProperties();
            } catch (IllegalArgumentException e) {
                saved = new Properties(); // unreadable settings: not this run, run it again
            }
            // Checkpoint frequency does not change a run (resuming is exact), so it does not decide completeness.
            saved.remove("checkpointEvery");
            expected.remove("checkpointEvery");
            if (saved.equals(expected) && h.size() == config.steps()) {
                out.println(v.name() + ": complete in " + runDir + ", not run again");
                return new Outcome(v, config, h);
            }
        }
        out.println("== " + v.name() + ": " + v.change() + " (" + config.steps() + " steps of batch " + config.batchSize() + ")");
        Experiment e = Experiment.open(config, runDir, data.train(), data.test());
        e.train(out, Progress.printer(out, Math.max(1, config.evalEvery())));
        StringWriter w = new StringWriter();
        new TreeMap<>(config.toProperties()).forEach((k, val) -> w.write(k + " = " + val + "\n"));
        AtomicFiles.write(settingsFile, o -> o.write(w.toString().getBytes(StandardCharsets.UTF_8)));
        Files.deleteIfExists(runDir.resolve("checkpoint.zip")); // the history is the result; a checkpoint is ~0.2 GB
        return new Outcome(v, config, e.trainer().history());
    }

    /** Runs every variant in order. */
    public List<Outcome> runAll(List<Variant> variants, PrintStream out) throws IOException {
        List<Outcome> all = new ArrayList<>();
        for (Variant v : variants) all.add(run(v, out));
        return all;
    }

    /**
     * The variants to run at this study's profile: the whole design, or its first three for smoke (enough to check
     * the machinery in CI).
     */
    public List<Variant> variants() {
        List<Variant> d = design(dataset);
        return profile.equals("smoke") ? d.subList(0, Math.min(3, d.size())) : d;
    }

    /** The long runs at this study's profile (the authors' settings over many epochs; smoke: shortened). */
    public List<Variant> longVariants() { return longRuns(dataset); }

    /** One row per run: its change, steps, training seconds and the last evaluation; also written as summary.csv. */
    public Table summary(List<Outcome> outcomes) throws IOException {
        return summary(outcomes, "summary.csv");
    }

    /** {@link #summary(List)} written to {@code file} in the study folder. */
    public Table summary(List<Outcome> outcomes, String file) throws IOException {
        Table t = Table.create(dataset + " quality study", StringColumn.create("variant"), StringColumn.create("change"),
                IntColumn.create("steps"), IntColumn.create("batch"), DoubleColumn.create("training_seconds"));
        List<String> metrics = List.of(History.TEST_PSNR, History.TEST_JUDGE_RECONSTRUCTIONS, History.TEST_JUDGE_FA,
                History.TEST_SPREAD_FA);
        for (String m : metrics) t.addColumns(DoubleColumn.create(m));
        for (Outcome o : outcomes) {
            t.stringColumn("variant").append(o.variant().name());
            t.stringColumn("change").append(o.variant().change());
            t.intColumn("steps").append(o.history().size());
            t.intColumn("batch").append(o.config().batchSize());
            t.doubleColumn("training_seconds").append(o.trainingSeconds());
            for (String m : metrics) {
                double v = o.last(m);
                if (Double.isNaN(v)) t.doubleColumn(m).appendMissing(); else t.doubleColumn(m).append(v);
            }
        }
        StringWriter w = new StringWriter();
        t.write().csv(w);
        AtomicFiles.write(dir.resolve(file), o -> o.write(w.toString().getBytes(StandardCharsets.UTF_8)));
        return t;
    }

    /**
     * The study's curves against training minutes, one line per run: held-out PSNR, then the judge's accuracy on
     * reconstructions and on FA samples (labelled data) or the spread of FA samples (unlabelled); also study.png.
     */
    public BufferedImage chart(List<Outcome> outcomes) throws IOException {
        return chart(outcomes, false, "study.png");
    }

    /** The same curves against epochs (passes over the training images), for the long runs; {@code long-runs.png}. */
    public BufferedImage epochChart(List<Outcome> outcomes) throws IOException {
        return chart(outcomes, true, "long-runs.png");
    }

    private BufferedImage chart(List<Outcome> outcomes, boolean perEpoch, String file) throws IOException {
        boolean judged = outcomes.stream().anyMatch(o -> !Double.isNaN(o.last(History.TEST_JUDGE_FA)));
        List<String[]> panels = new ArrayList<>();
        panels.add(new String[]{History.TEST_PSNR, "Held-out reconstruction PSNR", "dB"});
        if (judged) {
            panels.add(new String[]{History.TEST_JUDGE_RECONSTRUCTIONS, "Judge accuracy on reconstructions", "fraction"});
            panels.add(new String[]{History.TEST_JUDGE_FA, "Judge accuracy on FA samples (requested class)", "fraction"});
        } else {
            panels.add(new String[]{History.TEST_SPREAD_FA, "Spread of FA samples (1 = as varied as real images)", "ratio"});
        }
        List<BufferedImage> parts = new ArrayList<>();
        for (String[] p : panels) {
            Map<String, double[][]> series = new LinkedHashMap<>();
            for (Outcome o : outcomes) {
                Table e = o.history().evaluationsWithTime();
                List<double[]> pts = new ArrayList<>();
                for (int i = 0; i < e.rowCount(); i++) {
                    if (!e.doubleColumn(p[0]).isMissing(i)) {
                        double x = perEpoch ? e.intColumn(History.STEP).getInt(i) / stepsPerEpoch(o.config())
                                : e.doubleColumn(History.TRAINING_MINUTES).getDouble(i);
                        pts.add(new double[]{x, e.doubleColumn(p[0]).getDouble(i)});
                    }
                }
                if (pts.isEmpty()) continue;
                double[][] xy = new double[2][pts.size()];
                for (int i = 0; i < pts.size(); i++) { xy[0][i] = pts.get(i)[0]; xy[1][i] = pts.get(i)[1]; }
                series.put(o.variant().name(), xy);
            }
            if (!series.isEmpty()) {
                boolean fraction = p[2].equals("fraction");
                parts.add(Charts.toImage(Charts.curves(dataset + ": " + p[1], perEpoch ? "epochs"
                        : "training minutes (2 cores)", p[2], series, 900, 320, fraction ? 0.0 : Double.NaN,
                        fraction ? 1.0 : Double.NaN)));
            }
        }
        BufferedImage img = Experiment.stack(parts);
        featurealign.viz.ImageGrid.savePng(img, dir.resolve(file));
        return img;
    }

    private double stepsPerEpoch(RunConfig c) {
        int n = c.trainLimit() > 0 ? Math.min(c.trainLimit(), data.train().size()) : data.train().size();
        return Math.ceil((double) n / c.batchSize());
    }

    /**
     * The study's design for a data set. A path from the reference to the chosen settings, one departure added at a
     * time (each variant keeps the ones before it), then branches that change one more thing. Step counts put every
     * run at about the same training time on 2 cores (MNIST ~6 min, CIFAR-10 and CelebA ~5 min), since departures
     * change what a step costs.
     */
    public static List<Variant> design(String dataset) {
        return switch (dataset) {
            case "mnist", "fashion-mnist" -> new Design()
                    .step("reference", "the authors' settings", "steps", "480")
                    .step("lr-1e-3", "+ learning rate 1e-3 (10x)", "learningRate", "1e-3")
                    .step("kl-0.05", "+ KL weight fixed at 0.05 (reference: U(0,1) per image)", "fixedKlWeight", "0.05")
                    .step("label-x30", "+ conditioning weight 30 in the inner cost", "alignment.conditioningWeight", "30")
                    .step("lr-5e-4", "+ learning rate 5e-4 (the label term sharpens the loss)", "learningRate", "5e-4")
                    .step("hidden-1024", "+ hidden width 1024 (reference 4096)", "architecture.hidden", "1024", "steps", "780")
                    .step("cosine", "+ cosine learning-rate decay", "learningRateSchedule", "COSINE")
                    .branch("cosine-lr-1e-3", "cosine, from learning rate 1e-3", "learningRate", "1e-3")
                    .branch("adam-0.9", "cosine, with Adam beta1 0.9 (reference 0.5)", "beta1", "0.9")
                    .branch("batch-32", "cosine, with batch 32", "batchSize", "32", "steps", "1800")
                    .branch("t-2", "cosine, with T = 2 alignment steps", "alignment.steps", "2", "steps", "430")
                    .branch("narrow", "cosine, with conv widths 16-32 (reference 32-64)", "architecture.stageWidths", "16,32", "steps", "1300")
                    .branch("label-x100", "cosine, with conditioning weight 100", "alignment.conditioningWeight", "100")
                    .branch("narrow-label-x100", "cosine, with conv widths 16-32 and conditioning weight 100",
                            "architecture.stageWidths", "16,32", "alignment.conditioningWeight", "100", "steps", "1700")
                    .branch("narrow-label-x100-kl-0.1", "narrow-label-x100, with KL weight 0.1",
                            "architecture.stageWidths", "16,32", "alignment.conditioningWeight", "100", "fixedKlWeight", "0.1",
                            "steps", "1700")
                    .branch("narrow-label-x100-t-2", "narrow-label-x100, with T = 2 alignment steps",
                            "architecture.stageWidths", "16,32", "alignment.conditioningWeight", "100", "alignment.steps", "2",
                            "steps", "950")
                    .variants();
            case "cifar10" -> new Design()
                    .step("reference", "the authors' settings", "steps", "600")
                    .step("kl-0.01", "+ KL weight fixed at 0.01 (reference: U(0,1) per image)", "fixedKlWeight", "0.01")
                    .step("lr-5e-4", "+ learning rate 5e-4 (5x)", "learningRate", "5e-4")
                    .step("narrow", "+ conv widths 16-32-64, hidden 1024 (reference 32-64-128, 2048)",
                            "architecture.stageWidths", "16,32,64", "architecture.hidden", "1024", "steps", "1200")
                    .step("cosine", "+ cosine learning-rate decay", "learningRateSchedule", "COSINE")
                    .branch("batch-32-kl-0.005", "cosine, with batch 32 and KL weight 0.005", "batchSize", "32",
                            "fixedKlWeight", "0.005", "steps", "3000")
                    .variants();
            case "celeba" -> new Design()
                    .step("reference", "the kit's 64x64 networks at the authors' settings", "steps", "85")
                    .step("lr-1e-3", "+ learning rate 1e-3 (10x)", "learningRate", "1e-3")
                    .step("kl-0.02", "+ KL weight fixed at 0.02 (reference: U(0,1) per image)", "fixedKlWeight", "0.02")
                    .step("narrow-b64", "+ conv widths 16-32-64-128 (32-64-128-256) and batch 64", "architecture.stageWidths",
                            "16,32,64,128", "batchSize", "64", "steps", "400")
                    .step("cosine", "+ cosine learning-rate decay", "learningRateSchedule", "COSINE")
                    .branch("batch-32", "cosine, with batch 32", "batchSize", "32", "steps", "650")
                    .branch("kl-0.005", "cosine, with KL weight 0.005", "fixedKlWeight", "0.005")
                    .variants();
            default -> throw new IllegalArgumentException("no study design for data set '" + dataset + "'");
        };
    }

    /** Builds a design: {@link #step} adds a departure to the path, {@link #branch} changes the path's end once more. */
    private static final class Design {
        private final List<Variant> variants = new ArrayList<>();
        private final Map<String, String> path = new LinkedHashMap<>();

        Design step(String name, String change, String... keyValues) {
            put(path, keyValues);
            variants.add(new Variant(name, change, path));
            return this;
        }

        Design branch(String name, String change, String... keyValues) {
            Map<String, String> s = new LinkedHashMap<>(path);
            put(s, keyValues);
            variants.add(new Variant(name, change, s));
            return this;
        }

        private static void put(Map<String, String> m, String[] kv) {
            for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        }

        List<Variant> variants() { return List.copyOf(variants); }
    }

    /** The authors' settings run for many epochs, evaluated ten times: what the reference gets with time. */
    public static List<Variant> longRuns(String dataset) {
        return switch (dataset) {
            case "mnist", "fashion-mnist" -> List.of(new Variant("paper-10-epochs",
                    "the authors' settings, 10 epochs (4,690 steps)", Map.of("steps", "4690")));
            case "cifar10" -> List.of(new Variant("paper-20-epochs",
                    "the authors' settings, 20 epochs of the 10,000-image subset (1,580 steps)", Map.of("steps", "1580")));
            case "celeba" -> List.of(new Variant("paper-10-epochs",
                    "the kit's 64x64 networks at the authors' settings, 10 epochs of 3,660 faces (290 steps)",
                    Map.of("steps", "290")));
            default -> throw new IllegalArgumentException("no long runs for data set '" + dataset + "'");
        };
    }
}
