package featurealign.train;

import featurealign.align.AlignmentOptions;
import featurealign.align.AlignmentOptions.InitialProbe;
import featurealign.align.AlignmentOptions.LatentProbe;
import featurealign.align.AlignmentOptions.Squash;
import featurealign.io.TypedProperties;
import featurealign.nn.Architecture;
import featurealign.nn.Generator.Refiner;
import featurealign.nn.Shape;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.*;

/**
 * Everything that defines an FA-VAE(-GAN) run. Named profiles ({@link #profile}) give the settings; every field can be
 * overridden with a typed {@code with...} method or by key ({@link #with(String, String)}: the keys are those of
 * {@link #toProperties()}), which the command line and notebooks use. Saved in every checkpoint.
 *
 * @param dataset          "mnist", "fashion-mnist", "cifar10" or "celeba"
 * @param profile          the profile these settings started from ("smoke", "cpu", "paper"), for reports
 * @param architecture     the networks
 * @param batchSize        images per step (the reference: 128)
 * @param steps            training iterations in all
 * @param ganStartStep     iterations that train the encoder only before the generator and discriminator join
 *                         (the reference: 0, GAN steps from the start)
 * @param gan              whether the generator and discriminator are trained at all
 * @param alignment        T, η, r0, latent probe, squash of feature alignment
 * @param learningRate     Adam learning rate of encoder, generator and discriminator (1e-4)
 * @param learningRateSchedule CONSTANT (the reference) or COSINE: the encoder's rate decays from {@code learningRate}
 *                         to 0 over {@code steps} as ½(1 + cos(π·t/steps)) (a named departure; G and D keep theirs)
 * @param beta1            Adam β1 (0.5)
 * @param beta2            Adam β2 (0.999)
 * @param perceptualWeight P, the weight of the generator's perceptual term (the reference: 0)
 * @param fixedKlWeight    NaN for the reference's β ~ U(0,1) per sample and batch; a number for a fixed β
 * @param clampWeights     clamp encoder weights to ±√2 before every step (the reference: true)
 * @param seed             seeds initialisation, data order and every random draw
 * @param dataType         FLOAT (default) or DOUBLE
 * @param trainLimit       use only the first N training images (0 = all)
 * @param checkpointEvery  steps between checkpoints (0 = only at the end)
 * @param gcEvery          steps between explicit garbage collections, which free ND4J's off-heap buffers (0 = never)
 * @param evalImages       test images used by the metrics
 * @param evalEvery        steps between held-out evaluations logged in the history (0 = none); the last step of the
 *                         run is always evaluated when this is set
 * @param sampleImages     generated images used by the metrics
 * @param ganOptions       the GAN phase's departures from the reference (refiner, anchor, rates, warm-up, EMA), keys
 *                         {@code gan.*}
 * @param samplingPrior    where prior samples draw z from: STANDARD, N(0, I) as in the reference, or CLASS_GAUSSIAN,
 *                         one diagonal Gaussian per class fitted after training to the posterior means of training
 *                         images ({@link LatentPrior}; a named departure that does not change training)
 * @param samplingTemperature scale of the standard-normal draws ε before the prior: z = mean + t·std·ε (t·ε for
 *                         STANDARD); below 1 trades the samples' variety (the spread metric) for fidelity; 1 in the
 *                         reference
 * @param fitImages        training images whose posterior means CLASS_GAUSSIAN is fitted to (a seeded subset when
 *                         the training set is larger)
 */
public record RunConfig(String dataset, String profile, Architecture architecture, int batchSize, int steps,
                        int ganStartStep, boolean gan, AlignmentOptions alignment, double learningRate,
                        LearningRateSchedule learningRateSchedule, double beta1, double beta2, double perceptualWeight,
                        double fixedKlWeight, boolean clampWeights, long seed, DataType dataType, int trainLimit,
                        int checkpointEvery, int gcEvery, int evalImages, int sampleImages, int evalEvery,
                        GanOptions ganOptions, SamplingPrior samplingPrior, int fitImages, double samplingTemperature) {

    /** How the encoder's learning rate moves over a run. */
    public enum LearningRateSchedule { CONSTANT, COSINE }

    /** The distribution prior samples draw their latent z from (setting {@code sampling.prior}). */
    public enum SamplingPrior {
        /** z ~ N(0, I), the reference's prior. */
        STANDARD,
        /** z ~ N(mean_c, diag(std_c²)) for requested class c, fitted to the encoder's posterior means (one Gaussian for unconditioned data). */
        CLASS_GAUSSIAN
    }

    /** Default of {@code sampling.fitImages}. */
    public static final int DEFAULT_FIT_IMAGES = 10_000;

    public static final List<String> PROFILES = List.of("smoke", "cpu", "paper");
    public static final List<String> DATASETS = List.of("mnist", "fashion-mnist", "cifar10", "celeba");

    public RunConfig {
        require(DATASETS.contains(dataset), "dataset", dataset, "one of " + DATASETS);
        require(batchSize >= 1, "batchSize", batchSize, ">= 1");
        require(steps >= 0, "steps", steps, ">= 0");
        require(ganStartStep >= 0, "ganStartStep", ganStartStep, ">= 0");
        require(learningRate > 0, "learningRate", learningRate, "> 0");
        require(beta1 >= 0 && beta1 < 1, "beta1", beta1, "in [0,1)");
        require(beta2 >= 0 && beta2 < 1, "beta2", beta2, "in [0,1)");
        require(perceptualWeight >= 0, "perceptualWeight", perceptualWeight, ">= 0");
        require(Double.isNaN(fixedKlWeight) || fixedKlWeight >= 0, "fixedKlWeight", fixedKlWeight, "NaN (random) or >= 0");
        require(dataType == DataType.FLOAT || dataType == DataType.DOUBLE, "dataType", dataType, "FLOAT or DOUBLE");
        require(trainLimit >= 0, "trainLimit", trainLimit, ">= 0");
        require(checkpointEvery >= 0, "checkpointEvery", checkpointEvery, ">= 0");
        require(gcEvery >= 0, "gcEvery", gcEvery, ">= 0");
        require(evalImages >= 1, "evalImages", evalImages, ">= 1");
        require(sampleImages >= 1, "sampleImages", sampleImages, ">= 1");
        require(evalEvery >= 0, "evalEvery", evalEvery, ">= 0");
        require(fitImages >= 1, "sampling.fitImages", fitImages, ">= 1");
        require(samplingTemperature > 0 && samplingTemperature <= 10, "sampling.temperature", samplingTemperature, "in (0, 10]");
        Objects.requireNonNull(samplingPrior, "samplingPrior");
        Objects.requireNonNull(learningRateSchedule, "learningRateSchedule");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(alignment, "alignment");
        Objects.requireNonNull(ganOptions, "ganOptions");
    }

    private static void require(boolean ok, String key, Object value, String expected) {
        if (!ok) throw new IllegalArgumentException("run config: " + key + " = " + value + ", expected " + expected);
    }

    /** The paper's architecture for a data set (CelebA: unconditioned 64×64). */
    public static Architecture architectureFor(String dataset) {
        return switch (dataset) {
            case "mnist", "fashion-mnist" -> Architecture.MNIST;
            case "cifar10" -> Architecture.CIFAR10;
            // The paper's CelebA networks are unknown (docs/method.md §8.3): the kit's 64×64 family, unconditioned, with a
            // light generator (3×3 kernels, 64 channels) so that a CPU can train it.
            case "celeba" -> Architecture.celeba64(0).withGenerator(3, 64);
            default -> throw new IllegalArgumentException("unknown dataset '" + dataset + "', expected one of " + DATASETS);
        };
    }

    /**
     * A named profile for a data set, read from the kit's profile files ({@code featurealign/profiles/} in the library's
     * resources, docs/method.md §14).
     * <ul>
     * <li>{@code paper} ({@code paper-<dataset>.properties}, every setting): the authors' settings (docs/method.md §9):
     *     batch 128, one epoch of the full official training set (MNIST 469 steps; the paper's total epochs are
     *     unknown), GAN from the first step.</li>
     * <li>{@code cpu} ({@code cpu-<dataset>.properties}, what it changes from paper): what a laptop CPU runs in minutes
     *     with recognisable results: the encoder trains alone first, then a short GAN phase refines samples.</li>
     * <li>{@code smoke} ({@code smoke-<dataset>.properties}): a few steps on a small subset, for CI: checks that
     *     everything runs, not quality.</li>
     * </ul>
     * Fashion-MNIST uses MNIST's files. The architecture is the data set's ({@link #architectureFor}); a profile file may
     * change its {@code architecture.*} settings.
     */
    public static RunConfig profile(String profile, String dataset) {
        if (!PROFILES.contains(profile)) {
            throw new IllegalArgumentException("unknown profile '" + profile + "', expected one of " + PROFILES);
        }
        Architecture arch = architectureFor(dataset);
        return PROFILE_CACHE.computeIfAbsent(profile + "/" + dataset, k -> readProfile(profile, dataset, arch));
    }

    private static final java.util.concurrent.ConcurrentHashMap<String, RunConfig> PROFILE_CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    private static RunConfig readProfile(String profile, String dataset, Architecture arch) {
        String family = dataset.equals("fashion-mnist") ? "mnist" : dataset;
        Properties p = architectureProperties(arch);
        String paperFile = "paper-" + family + ".properties";
        p.putAll(profileFile(paperFile));
        p.setProperty("dataset", dataset);
        p.setProperty("profile", profile);
        String file = paperFile;
        if (!profile.equals("paper")) {
            file = profile + "-" + family + ".properties";
            Properties changes = profileFile(file);
            for (String k : changes.stringPropertyNames()) {
                if (!p.containsKey(k)) throw new IllegalArgumentException("profile file " + file + ": unknown setting '" + k + "'");
            }
            p.putAll(changes);
        }
        RunConfig c;
        try {
            c = fromProperties(p);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("profile file " + file + ": " + e.getMessage(), e);
        }
        Set<String> settings = c.toProperties().stringPropertyNames();
        Set<String> missing = new TreeSet<>(settings);
        missing.removeAll(p.stringPropertyNames());
        if (!missing.isEmpty()) throw new IllegalArgumentException("profile file " + paperFile + " lacks settings " + missing);
        Set<String> unknown = new TreeSet<>(p.stringPropertyNames());
        unknown.removeAll(settings);
        if (!unknown.isEmpty()) throw new IllegalArgumentException("profile file " + paperFile + ": unknown settings " + unknown);
        return c;
    }

    /** A profile file of the library's resources, read as UTF-8 properties. */
    private static Properties profileFile(String name) {
        String path = "/featurealign/profiles/" + name;
        try (var in = RunConfig.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("the library lacks its profile file " + path);
            Properties p = new Properties();
            p.load(new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8));
            return p;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("reading profile file " + path, e);
        }
    }

    /** The profile named by the environment variable {@code FA_PROFILE} (default {@code cpu}). */
    public static RunConfig fromEnvironment(String dataset) {
        String p = System.getenv("FA_PROFILE");
        return profile(p == null || p.isBlank() ? "cpu" : p.trim(), dataset);
    }

    public RunConfig withSteps(int n) { return with("steps", Integer.toString(n)); }

    public RunConfig withGanStartStep(int n) { return with("ganStartStep", Integer.toString(n)); }

    public RunConfig withBatchSize(int n) { return with("batchSize", Integer.toString(n)); }

    public RunConfig withSeed(long s) { return with("seed", Long.toString(s)); }

    public RunConfig withSamplingPrior(SamplingPrior p) { return with("sampling.prior", p.name()); }

    public RunConfig withAlignment(AlignmentOptions a) {
        return new RunConfig(dataset, profile, architecture, batchSize, steps, ganStartStep, gan, a, learningRate,
                learningRateSchedule, beta1, beta2, perceptualWeight, fixedKlWeight, clampWeights, seed, dataType,
                trainLimit, checkpointEvery, gcEvery, evalImages, sampleImages, evalEvery, ganOptions, samplingPrior,
                fitImages, samplingTemperature);
    }

    public RunConfig withArchitecture(Architecture a) {
        return new RunConfig(dataset, profile, a, batchSize, steps, ganStartStep, gan, alignment, learningRate,
                learningRateSchedule, beta1, beta2, perceptualWeight, fixedKlWeight, clampWeights, seed, dataType,
                trainLimit, checkpointEvery, gcEvery, evalImages, sampleImages, evalEvery, ganOptions, samplingPrior,
                fitImages, samplingTemperature);
    }

    /** Settings that say how a run is observed and saved, not how it trains. */
    private static final Set<String> BOOKKEEPING = Set.of("profile", "checkpointEvery", "gcEvery", "evalImages",
            "sampleImages", "evalEvery");

    /**
     * What this config changes from the authors' settings for its data set ({@code profile("paper", dataset)}), as
     * {@code key → "value (reference: value)"} in key order; bookkeeping (checkpoints, evaluation, collections) is left
     * out, and so is {@code sampling.fitImages} while {@code sampling.prior} is STANDARD. Empty for the paper profile.
     */
    public Map<String, String> departures() {
        Properties mine = toProperties(), ref = profile("paper", dataset).toProperties();
        Map<String, String> d = new TreeMap<>();
        for (String k : mine.stringPropertyNames()) {
            if (BOOKKEEPING.contains(k) || mine.getProperty(k).equals(ref.getProperty(k))) continue;
            // The number of fit images says nothing while samples come from N(0, I).
            if (k.equals("sampling.fitImages") && samplingPrior == SamplingPrior.STANDARD) continue;
            d.put(k, readable(k, mine.getProperty(k)) + " (reference: " + readable(k, ref.getProperty(k)) + ")");
        }
        return d;
    }

    /** Keys outside {@code gan.*} that only G and D read: a run before its GAN phase is the same whatever they say. */
    private static final Set<String> GAN_ONLY = Set.of("gan", "perceptualWeight", "architecture.generatorWidth",
            "architecture.generatorKernel", "architecture.generatorLabelActivation");

    /**
     * The settings (other than bookkeeping, {@code steps} and {@code sampling.*}) in which {@code other} differs from
     * this config and which shape training before the GAN phase: empty when a checkpoint of one, taken before its
     * GAN phase, can continue as the other ({@link FaTrainer#branch}).
     */
    public List<String> encoderPhaseDifferences(RunConfig other) {
        Properties a = toProperties(), b = other.toProperties();
        Set<String> keys = new TreeSet<>(a.stringPropertyNames());
        keys.addAll(b.stringPropertyNames());
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            if (BOOKKEEPING.contains(k) || k.equals("steps") || k.startsWith("sampling.") || k.startsWith("gan.")
                    || GAN_ONLY.contains(k)) continue;
            if (!Objects.equals(a.getProperty(k), b.getProperty(k))) {
                out.add(k + " (" + a.getProperty(k) + " vs " + b.getProperty(k) + ")");
            }
        }
        return out;
    }

    /** A setting's value as a reader should see it: a NaN KL weight means the reference's random β. */
    private static String readable(String key, String value) {
        return key.equals("fixedKlWeight") && "NaN".equals(value) ? "β ~ U(0,1) per sample" : value;
    }

    /** The encoder's learning rate at step {@code step} (0-based) of this run's schedule. */
    public double encoderLearningRateAt(long step) {
        return switch (learningRateSchedule) {
            case CONSTANT -> learningRate;
            case COSINE -> learningRate * 0.5 * (1 + Math.cos(Math.PI * Math.min(step, steps) / Math.max(1, steps)));
        };
    }

    /** Whether step {@code step} (0-based) trains the generator and discriminator. */
    public boolean ganActiveAt(long step) { return gan && step >= ganStartStep; }

    /** Whether step {@code step} (0-based) trains the generator: a GAN step after D's warm-up ({@code gan.discriminatorWarmup}). */
    public boolean generatorActiveAt(long step) {
        return ganActiveAt(step) && step >= (long) ganStartStep + ganOptions.discriminatorWarmup();
    }

    /** All settings as text, keyed by field (architecture and alignment fields flattened with a prefix). */
    public Properties toProperties() {
        Properties p = new Properties();
        p.setProperty("dataset", dataset);
        p.setProperty("profile", profile);
        p.setProperty("batchSize", Integer.toString(batchSize));
        p.setProperty("steps", Integer.toString(steps));
        p.setProperty("ganStartStep", Integer.toString(ganStartStep));
        p.setProperty("gan", Boolean.toString(gan));
        p.setProperty("learningRate", Double.toString(learningRate));
        p.setProperty("learningRateSchedule", learningRateSchedule.name());
        p.setProperty("beta1", Double.toString(beta1));
        p.setProperty("beta2", Double.toString(beta2));
        p.setProperty("perceptualWeight", Double.toString(perceptualWeight));
        p.setProperty("fixedKlWeight", Double.toString(fixedKlWeight));
        p.setProperty("clampWeights", Boolean.toString(clampWeights));
        p.setProperty("seed", Long.toString(seed));
        p.setProperty("dataType", dataType.name());
        p.setProperty("trainLimit", Integer.toString(trainLimit));
        p.setProperty("checkpointEvery", Integer.toString(checkpointEvery));
        p.setProperty("gcEvery", Integer.toString(gcEvery));
        p.setProperty("evalImages", Integer.toString(evalImages));
        p.setProperty("sampleImages", Integer.toString(sampleImages));
        p.setProperty("evalEvery", Integer.toString(evalEvery));
        p.setProperty("sampling.prior", samplingPrior.name());
        p.setProperty("sampling.fitImages", Integer.toString(fitImages));
        p.setProperty("sampling.temperature", Double.toString(samplingTemperature));
        p.setProperty("alignment.steps", Integer.toString(alignment.steps()));
        p.setProperty("alignment.stepSize", Double.toString(alignment.stepSize()));
        p.setProperty("alignment.initialProbe", alignment.initialProbe().name());
        p.setProperty("alignment.randomScale", Double.toString(alignment.randomScale()));
        p.setProperty("alignment.latentProbe", alignment.latentProbe().name());
        p.setProperty("alignment.squash", alignment.squash().name());
        p.setProperty("alignment.conditioningWeight", Double.toString(alignment.conditioningWeight()));
        GanOptions g = ganOptions;
        p.setProperty("gan.refiner", g.refiner().name());
        p.setProperty("gan.anchorWeight", Double.toString(g.anchorWeight()));
        p.setProperty("gan.anchor", g.anchor().name());
        p.setProperty("gan.priorSamples", Boolean.toString(g.priorSamples()));
        p.setProperty("gan.generatorLearningRate", Double.toString(g.generatorLearningRate()));
        p.setProperty("gan.discriminatorLearningRate", Double.toString(g.discriminatorLearningRate()));
        p.setProperty("gan.discriminatorWarmup", Integer.toString(g.discriminatorWarmup()));
        p.setProperty("gan.ema", Double.toString(g.ema()));
        p.setProperty("gan.prior", g.prior().name());
        p.setProperty("gan.priorAnchorWeight", Double.toString(g.priorAnchorWeight()));
        p.putAll(architectureProperties(architecture));
        return p;
    }

    /** An architecture's settings ({@code architecture.*}) as text. */
    private static Properties architectureProperties(Architecture a) {
        Properties p = new Properties();
        p.setProperty("architecture.name", a.name());
        p.setProperty("architecture.image", TypedProperties.join(a.image().dims()));
        p.setProperty("architecture.stageWidths", TypedProperties.join(a.stageWidths()));
        p.setProperty("architecture.hidden", Integer.toString(a.hidden()));
        p.setProperty("architecture.latent", Integer.toString(a.latent()));
        p.setProperty("architecture.conditioning", Integer.toString(a.conditioning()));
        p.setProperty("architecture.generatorKernel", Integer.toString(a.generatorKernel()));
        p.setProperty("architecture.generatorWidth", Integer.toString(a.generatorWidth()));
        p.setProperty("architecture.generatorLabelActivation", Boolean.toString(a.generatorLabelActivation()));
        p.setProperty("architecture.slope", Double.toString(a.slope()));
        return p;
    }

    /** A config from {@link #toProperties()} text; every key must be present and valid. */
    public static RunConfig fromProperties(Properties p) {
        TypedProperties r = new TypedProperties("run config", p);
        Architecture a = new Architecture(r.str("architecture.name"), new Shape(r.ints("architecture.image")),
                r.ints("architecture.stageWidths"), r.i("architecture.hidden"), r.i("architecture.latent"),
                r.i("architecture.conditioning"), r.i("architecture.generatorKernel"), r.i("architecture.generatorWidth"),
                r.bool("architecture.generatorLabelActivation"), r.d("architecture.slope"));
        AlignmentOptions al = new AlignmentOptions(r.i("alignment.steps"), r.d("alignment.stepSize"),
                r.enumeration("alignment.initialProbe", InitialProbe.class), r.d("alignment.randomScale"),
                r.enumeration("alignment.latentProbe", LatentProbe.class), r.enumeration("alignment.squash", Squash.class),
                r.dOr("alignment.conditioningWeight", 1.0));
        // The gan.* keys came with issue 18: checkpoints written before it ran the reference GAN phase.
        GanOptions ref = GanOptions.reference();
        GanOptions g = new GanOptions(r.enumerationOr("gan.refiner", Refiner.class, ref.refiner()),
                r.dOr("gan.anchorWeight", ref.anchorWeight()), r.enumerationOr("gan.anchor", GanOptions.Anchor.class, ref.anchor()),
                r.boolOr("gan.priorSamples", ref.priorSamples()),
                r.dOr("gan.generatorLearningRate", ref.generatorLearningRate()),
                r.dOr("gan.discriminatorLearningRate", ref.discriminatorLearningRate()),
                r.iOr("gan.discriminatorWarmup", ref.discriminatorWarmup()), r.dOr("gan.ema", ref.ema()),
                r.enumerationOr("gan.prior", SamplingPrior.class, ref.prior()),
                r.dOr("gan.priorAnchorWeight", ref.priorAnchorWeight()));
        DataType dt = r.str("dataType").equals("DOUBLE") ? DataType.DOUBLE : r.str("dataType").equals("FLOAT")
                ? DataType.FLOAT : r.fail("dataType", "FLOAT or DOUBLE");
        return new RunConfig(r.str("dataset"), r.str("profile"), a, r.i("batchSize"), r.i("steps"), r.i("ganStartStep"),
                r.bool("gan"), al, r.d("learningRate"),
                r.enumerationOr("learningRateSchedule", LearningRateSchedule.class, LearningRateSchedule.CONSTANT),
                r.d("beta1"), r.d("beta2"), r.d("perceptualWeight"), r.d("fixedKlWeight"), r.bool("clampWeights"),
                r.l("seed"), dt, r.i("trainLimit"), r.i("checkpointEvery"), r.i("gcEvery"), r.i("evalImages"),
                r.i("sampleImages"), r.iOr("evalEvery", 0), g,
                r.enumerationOr("sampling.prior", SamplingPrior.class, SamplingPrior.STANDARD),
                r.iOr("sampling.fitImages", DEFAULT_FIT_IMAGES), r.dOr("sampling.temperature", 1.0));
    }

    /**
     * This config with one field set from text, e.g. {@code with("steps", "2000")} or
     * {@code with("alignment.steps", "2")}; an unknown key or bad value is an error naming both.
     */
    public RunConfig with(String key, String value) {
        return with(Map.of(key, value));
    }

    /**
     * Applies {@code key=value} overrides in order, then checks the result once (so that settings that depend on each
     * other can be set together); an unknown key or bad value is an error naming it.
     */
    public RunConfig with(Map<String, String> overrides) {
        Properties p = toProperties();
        for (var e : overrides.entrySet()) {
            String key = e.getKey(), value = e.getValue();
            if (!p.containsKey(key)) {
                throw new IllegalArgumentException("run config has no setting '" + key + "'; settings: " + new TreeSet<>(p.stringPropertyNames()));
            }
            if (key.equals("dataset") && !value.equals(p.getProperty("dataset"))) {
                architectureProperties(architectureFor(value)).forEach(p::put); // a new data set brings its own architecture
            }
            p.setProperty(key, value);
        }
        return fromProperties(p);
    }
}
