package featurealign.train;

import featurealign.align.AlignmentOptions;
import featurealign.align.FeatureAlignment;
import featurealign.align.Losses;
import featurealign.nn.Architecture;
import featurealign.nn.Encoder;
import featurealign.nn.Generator;
import featurealign.runtime.GraphCalls;
import featurealign.nn.Network;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.*;

/**
 * The FA-VAE-GAN model of the paper: encoder, generator and discriminator, with the reference's training iteration
 * (docs/method.md §4, §5) and the inference the walkthroughs use (reconstruction, sampling, interpolation; §7).
 * <p>
 * Each sub-step has its own SameDiff graph, built once; the graphs share the networks' parameter arrays, so an Adam
 * update made for one graph is seen by all. Graphs: the encoder's FA-VAE loss; inference (posterior and feature
 * alignment, no gradients); the generator's loss through the discriminator; the discriminator's least-squares loss.
 */
public final class FaModel {

    /** Losses of one iteration; the GAN terms are NaN when the GAN sub-steps did not run. */
    public record StepLosses(double encoderLoss, double reconstructionLoss, double klWeighted, double generatorLoss,
                             double discriminatorReal, double discriminatorFake) {}

    /** Posterior parameters of a batch: μ and log σ², both {@code [batch,Z]}. */
    public record Posterior(INDArray mean, INDArray logVariance) {}

    /**
     * A feature-alignment image and the probe r_T it was squashed from, both {@code [N,C,H,W]}: the residual refiner
     * works on the probe (see {@link #refine(Aligned, INDArray)}).
     */
    public record Aligned(INDArray image, INDArray probe) {}

    static final int INFERENCE_CHUNK = 250;

    private final RunConfig config;
    private final Architecture arch;
    private final DataType dt;
    private final FaVaeEncoderStep encoderStep;
    private final Adam encoderAdam, generatorAdam, discriminatorAdam;

    // Inference graph: posterior of "x"; alignment of ("z", "condition"[, "r0"]) with the run's options and with one step,
    // each as the squashed image and the probe before the squash.
    private final SameDiff inference;
    private final String muName, logVarName, alignedName, alignedProbeName, alignedOneStepName, alignedOneStepProbeName;

    // GAN sub-steps (null without GAN); the discriminator step owns D, the generator step owns G and shares D.
    private final DiscriminatorStep discriminatorStep;
    private final GeneratorStep generatorStep;
    // Refinement for inference: G in evaluation mode (running batch-norm statistics) on "input", "condition", with G's
    // own weights or, with gan.ema, their moving average (then in arrays of its own, updated after every G step).
    private final SameDiff refineGraph;
    private final String refinedName;
    private final WeightAverage average;

    // The fitted CLASS_GAUSSIAN prior (null until fitted); not part of training, so not in stateArrays().
    private LatentPrior prior;

    /** Builds and initialises (seeded with {@code config.seed()}) every network the config needs. */
    public FaModel(RunConfig config) {
        this.config = config;
        this.arch = config.architecture();
        this.dt = config.dataType();
        long seed = config.seed();
        GanOptions gan = config.ganOptions();
        this.encoderStep = new FaVaeEncoderStep(arch, config.alignment(), dt, seed, config.clampWeights());
        this.encoderAdam = new Adam(config.learningRate(), config.beta1(), config.beta2(), 1e-8);
        this.generatorAdam = new Adam(gan.generatorRate(config.learningRate()), config.beta1(), config.beta2(), 1e-8);
        this.discriminatorAdam = new Adam(gan.discriminatorRate(config.learningRate()), config.beta1(), config.beta2(), 1e-8);

        // Inference.
        inference = SameDiff.create();
        Encoder encI = Encoder.declareShared(inference, encoderStep.encoder());
        SDVariable x = inference.placeHolder("x", dt, arch.image().withBatch(-1));
        Encoder.Pass post = encI.forward(x);
        muName = post.mu().name();
        logVarName = post.logVariance().name();
        SDVariable z = inference.placeHolder("z", dt, -1, arch.latent());
        SDVariable cond = arch.conditioning() > 0 ? inference.placeHolder("condition", dt, -1, arch.conditioning()) : null;
        AlignmentOptions opts = config.alignment();
        SDVariable r0 = opts.initialProbe() == AlignmentOptions.InitialProbe.ZERO ? null
                : inference.placeHolder("r0", dt, arch.image().withBatch(-1));
        FeatureAlignment.Result aligned = FeatureAlignment.reverse(encI, z, cond, r0, opts);
        FeatureAlignment.Result alignedOnce = opts.steps() == 1 ? aligned
                : FeatureAlignment.reverse(encI, z, cond, r0, opts.withSteps(1));
        alignedName = aligned.image().name();
        alignedProbeName = aligned.probe().name();
        alignedOneStepName = alignedOnce.image().name();
        alignedOneStepProbeName = alignedOnce.probe().name();

        if (!config.gan()) {
            discriminatorStep = null;
            generatorStep = null;
            refineGraph = null;
            refinedName = null;
            average = null;
            return;
        }
        discriminatorStep = new DiscriminatorStep(arch, dt, seed);
        generatorStep = new GeneratorStep(arch, dt, seed, gan, opts.squash(), config.perceptualWeight(),
                discriminatorStep.discriminator(), encoderStep.encoder());
        refineGraph = SameDiff.create();
        Generator trained = generatorStep.generator();
        Generator refiner = gan.ema() > 0 ? Generator.declareCopy(refineGraph, trained)
                : Generator.declareShared(refineGraph, trained);
        SDVariable input = refineGraph.placeHolder("input", dt, arch.image().withBatch(-1));
        SDVariable rCond = arch.conditioning() > 0 ? refineGraph.placeHolder("condition", dt, -1, arch.conditioning()) : null;
        refinedName = refiner.forward(input, rCond, false).output().name();
        if (gan.ema() > 0) {
            Map<String, INDArray> averaged = new LinkedHashMap<>();
            for (SDVariable v : refiner.parameters()) averaged.put(v.name(), v.getArr());
            average = new WeightAverage(gan.ema(), generatorStep.parameters(), averaged);
        } else {
            average = null;
        }
    }

    public RunConfig config() { return config; }

    public Architecture architecture() { return arch; }

    public Encoder encoder() { return encoderStep.encoder(); }

    public Adam encoderOptimizer() { return encoderAdam; }

    public Adam generatorOptimizer() { return generatorAdam; }

    public Adam discriminatorOptimizer() { return discriminatorAdam; }

    /** Whether the model has a generator and discriminator. */
    public boolean hasGan() { return generatorStep != null; }

    /** The fitted class Gaussian prior, or null; it may be stale ({@link #priorIsCurrent}). */
    public LatentPrior prior() { return prior; }

    /**
     * Sets the class Gaussian prior that {@link #sample(int, INDArray, Noise)} uses when {@code sampling.prior} is
     * CLASS_GAUSSIAN (null removes it). Its latent size must be Z, and its classes K or 1.
     */
    public void setPrior(LatentPrior p) {
        if (p != null && (p.latent() != arch.latent() || (p.classes() != 1 && p.classes() != arch.conditioning()))) {
            throw new IllegalArgumentException("a latent prior of " + p.classes() + " classes and " + p.latent()
                    + " latents does not fit this model (Z = " + arch.latent() + ", conditioning " + arch.conditioning() + ")");
        }
        this.prior = p;
    }

    /** Whether a prior is fitted and was fitted to the encoder as it is now (no encoder update since). */
    public boolean priorIsCurrent() { return prior != null && prior.encoderStep() == encoderAdam.step(); }

    /**
     * The prior {@link #sample(int, INDArray, Noise)} uses: null for {@code sampling.prior} STANDARD (z ~ N(0, I)), the
     * fitted class Gaussian for CLASS_GAUSSIAN.
     *
     * @throws IllegalStateException when CLASS_GAUSSIAN has no prior fitted to the current encoder
     */
    public LatentPrior samplingPrior() {
        if (config.samplingPrior() == RunConfig.SamplingPrior.STANDARD) return null;
        if (prior == null) {
            throw new IllegalStateException("sampling.prior = CLASS_GAUSSIAN, but no prior is fitted yet: FaTrainer fits it"
                    + " when training reaches its last step (or call FaTrainer.fitPrior())");
        }
        if (!priorIsCurrent()) {
            throw new IllegalStateException("sampling.prior = CLASS_GAUSSIAN, but the prior was fitted after " + prior.encoderStep()
                    + " encoder updates and the encoder has had " + encoderAdam.step() + ": fit it again (FaTrainer.fitPrior())");
        }
        return prior;
    }

    /** The prefix of the moving-average copies of G's parameters in {@link #stateArrays()}. */
    static final String AVERAGE_PREFIX = "ema:";

    /**
     * Every array a checkpoint must hold to continue exactly, by a unique name: parameters, batch-norm statistics and,
     * with {@code gan.ema}, the moving average of G's weights.
     */
    public Map<String, INDArray> stateArrays() {
        Map<String, INDArray> all = new LinkedHashMap<>(encoderStep.parameters());
        if (generatorStep != null) {
            all.putAll(generatorStep.parameters());
            all.putAll(generatorStep.runningStatistics());
            all.putAll(discriminatorStep.parameters());
        }
        if (average != null) average.average().forEach((k, v) -> all.put(AVERAGE_PREFIX + k, v));
        return all;
    }

    public Map<String, INDArray> encoderParameters() { return encoderStep.parameters(); }

    /** The model's SameDiff graphs (encoder step, inference, generator, discriminator, refinement), e.g. for a profiler. */
    public List<SameDiff> graphs() {
        List<SameDiff> g = new ArrayList<>(List.of(encoderStep.graph(), inference));
        if (generatorStep != null) g.addAll(List.of(generatorStep.graph(), discriminatorStep.graph(), refineGraph));
        return g;
    }

    public Map<String, INDArray> generatorParameters() { return generatorStep == null ? Map.of() : generatorStep.parameters(); }

    /** The moving average of G's parameters by name (live), or an empty map without {@code gan.ema}. */
    public Map<String, INDArray> averagedGeneratorParameters() { return average == null ? Map.of() : average.average(); }

    public Map<String, INDArray> discriminatorParameters() {
        return discriminatorStep == null ? Map.of() : discriminatorStep.parameters();
    }

    /**
     * One training iteration in the reference's order: clamp → encoder step → (GAN) generator step on the detached
     * reconstructions of the real batch → discriminator real step → discriminator fake step from prior samples through
     * one FA step. Noise is drawn in this order: ε, β, r0 (if random), [with gan.priorSamples: G's prior z, its r0],
     * prior z of the fakes, their r0. The generator step is left out during {@code gan.discriminatorWarmup}.
     *
     * @param images    {@code [batch,C,H,W]} in [0,1]; clamped here to [0.01, 0.99]
     * @param condition {@code [batch,K]} or null when unconditioned
     * @param step      the 1-based training step, for messages and the warm-up
     * @throws TrainingDivergedException when a loss or gradient is NaN/Inf; the failing sub-step makes no update
     */
    public StepLosses trainStep(INDArray images, INDArray condition, boolean ganActive, Noise noise, long step) {
        int batch = (int) images.size(0);
        arch.image().requireMatches(images.shape(), "training images");
        if (arch.conditioning() > 0) requireCondition(condition, batch);
        INDArray x = Transforms.max(Transforms.min(images.castTo(dt), 0.99, true), 0.01, false);
        INDArray eps = noise.gaussian(dt, batch, arch.latent());
        INDArray beta = Double.isNaN(config.fixedKlWeight()) ? noise.uniform(dt, batch)
                : Nd4j.valueArrayOf(new long[]{batch}, config.fixedKlWeight(), dt);
        INDArray r0 = randomProbe(batch, noise);
        List<INDArray> owned = new ArrayList<>(Arrays.asList(x, eps, beta, r0));
        try {
            FaVaeEncoderStep.Result enc;
            encoderAdam.setLearningRate(config.encoderLearningRateAt(step - 1));
            try {
                enc = encoderStep.run(x, condition, eps, beta, r0, encoderAdam);
            } catch (TrainingDivergedException e) {
                throw new TrainingDivergedException(e.getMessage() + " (training step " + step + ")");
            }
            owned.add(enc.reconstruction());
            owned.add(enc.probe());
            if (!ganActive || generatorStep == null) {
                return new StepLosses(enc.loss(), enc.reconstructionLoss(), enc.klWeighted(), Double.NaN, Double.NaN, Double.NaN);
            }
            double gLoss = Double.NaN;
            if (config.generatorActiveAt(step - 1)) {
                Aligned prior = null;
                if (config.ganOptions().priorSamples()) {
                    prior = alignFeed(priorLatents(batch, condition, noise), condition, randomProbe(batch, noise),
                            alignedName, alignedProbeName);
                    owned.addAll(List.of(prior.image(), prior.probe()));
                }
                gLoss = generatorUpdate(new GeneratorStep.Batch(generatorInput(enc.reconstruction(), enc.probe()),
                        condition, x, prior == null ? null : generatorInput(prior.image(), prior.probe()), condition,
                        prior == null ? null : prior.image()), step);
            }
            double dReal = discriminatorUpdate(x, DiscriminatorStep.Target.REAL, step);
            // Fake step: prior z (gan.prior), exactly one FA step toward (z, labels of the batch), then G in training mode.
            INDArray z = priorLatents(batch, condition, noise);
            owned.add(z);
            INDArray r0Fake = r0 == null ? null : randomProbe(batch, noise);
            owned.add(r0Fake);
            INDArray fake = fakeImages(z, condition, r0Fake);
            owned.add(fake);
            double dFake = discriminatorUpdate(fake, DiscriminatorStep.Target.FAKE, step);
            return new StepLosses(enc.loss(), enc.reconstructionLoss(), enc.klWeighted(), gLoss, dReal, dFake);
        } finally {
            closeAll(owned); // this step's inputs and intermediates: free their native memory now, not at the next GC
        }
    }

    /**
     * Latents {@code [n,Z]} of the GAN phase's prior samples (G's, with {@code gan.priorSamples}, and D's fakes): z ~ N(0, I),
     * or with {@code gan.prior = CLASS_GAUSSIAN} {@code z = mean_c + std_c·t·ε} from the model's prior, which FaTrainer
     * fits at the GAN phase's first step and keeps (stale) through it, at the sampling temperature t: drawn as the run's
     * samples will be. Draws the same ε either way.
     */
    private INDArray priorLatents(int n, INDArray condition, Noise noise) {
        if (config.ganOptions().prior() == RunConfig.SamplingPrior.STANDARD) return noise.gaussian(dt, n, arch.latent());
        if (prior == null) {
            throw new IllegalStateException("gan.prior = CLASS_GAUSSIAN, but no prior is fitted: FaTrainer fits one at the"
                    + " GAN phase's first step");
        }
        return latents(n, condition, noise, prior);
    }

    /**
     * Latents {@code [n,Z]} drawn as the run samples: ε ~ N(0, I) scaled by {@code sampling.temperature}, then through
     * {@code prior} ({@code z = mean_c + std_c·ε}, c the argmax of each conditioning row), or z = ε when it is null.
     */
    private INDArray latents(int n, INDArray condition, Noise noise, LatentPrior prior) {
        INDArray eps = noise.gaussian(dt, n, arch.latent());
        if (config.samplingTemperature() != 1.0) eps.muli(config.samplingTemperature());
        if (prior == null) return eps;
        if (prior.latent() != arch.latent()) {
            eps.close();
            throw new IllegalArgumentException("a latent prior of " + prior.latent() + " latents cannot sample Z = " + arch.latent());
        }
        try {
            return prior.latents(eps, prior.classesOf(condition, n));
        } finally {
            eps.close();
        }
    }

    /** G's input for an FA result: the image for the reference generator, the probe for the residual one. */
    private INDArray generatorInput(INDArray image, INDArray probe) {
        return generatorStep.generator().refiner() == Generator.Refiner.RESIDUAL ? probe : image;
    }

    /** The generator sub-step (one Adam step on G only, then the weights' moving average). Returns L_G. */
    double generatorUpdate(GeneratorStep.Batch batch, long step) {
        GeneratorStep.Result r;
        try {
            r = generatorStep.run(batch, generatorAdam);
        } catch (TrainingDivergedException e) {
            throw new TrainingDivergedException(e.getMessage() + " (training step " + step + ")");
        }
        if (average != null) average.update();
        return r.loss();
    }

    /** The generator sub-step on reconstructions only: {@code input} is x̂ (reference G) or r̃ (residual G). */
    double generatorUpdate(INDArray input, INDArray condition, INDArray realClamped, long step) {
        return generatorUpdate(new GeneratorStep.Batch(input, condition, realClamped), step);
    }

    /** G(x̃) of prior latents through one FA step, in training mode (the discriminator's fakes). */
    INDArray fakeImages(INDArray z, INDArray condition, INDArray r0) {
        Aligned once = alignFeed(z, condition, r0, alignedOneStepName, alignedOneStepProbeName);
        try {
            return generatorStep.images(generatorInput(once.image(), once.probe()), condition);
        } finally {
            closeAll(List.of(once.image(), once.probe()));
        }
    }

    /** A discriminator sub-step toward {@code target}: one Adam step on D only. Returns L_D. */
    double discriminatorUpdate(INDArray images, DiscriminatorStep.Target target, long step) {
        try {
            return discriminatorStep.run(images, target, discriminatorAdam);
        } catch (TrainingDivergedException e) {
            throw new TrainingDivergedException(e.getMessage() + " (training step " + step + ")");
        }
    }

    /** The encoder sub-step (weights clamped first when configured); exposed to tests. */
    FaVaeEncoderStep.Result encoderUpdate(INDArray clampedImages, INDArray condition, INDArray eps, INDArray beta, INDArray r0) {
        return encoderStep.run(clampedImages, condition, eps, beta, r0, encoderAdam);
    }

    /** Closes arrays at once: ND4J would free their native memory only when the garbage collector finds them. */
    private static void closeAll(Collection<INDArray> arrays) {
        for (INDArray a : arrays) if (a != null && !a.wasClosed() && a.closeable()) a.close();
    }

    private INDArray randomProbe(int batch, Noise noise) {
        AlignmentOptions o = config.alignment();
        if (o.initialProbe() == AlignmentOptions.InitialProbe.ZERO) return null;
        if (o.initialProbe() == AlignmentOptions.InitialProbe.GIVEN) {
            throw new IllegalStateException("training needs r0 ZERO or RANDOM; GIVEN is for hand-built graphs");
        }
        return noise.gaussian(dt, arch.image().withBatch(batch)).muli(o.randomScale());
    }

    private void requireCondition(INDArray condition, int batch) {
        if (condition == null || condition.rank() != 2 || condition.size(0) != batch || condition.size(1) != arch.conditioning()) {
            throw new IllegalArgumentException("condition: expected shape [" + batch + "," + arch.conditioning() + "], got "
                    + (condition == null ? "null" : Arrays.toString(condition.shape())));
        }
    }

    // ---------------------------------------------------------------- inference

    /** Posterior μ and log σ² of images {@code [N,C,H,W]} in [0,1] (clamped to [0.01,0.99] as in training). */
    public Posterior encode(INDArray images) {
        arch.image().requireMatches(images.shape(), "images");
        INDArray[] out = byChunks(images.size(0), (start, end) -> {
            INDArray x = Transforms.max(Transforms.min(images.get(NDArrayIndex.interval(start, end)).castTo(dt), 0.99, true), 0.01, false);
            Map<String, INDArray> o = GraphCalls.outputs(inference, Map.of("x", x), muName, logVarName);
            return new INDArray[]{o.get(muName), o.get(logVarName)};
        });
        return new Posterior(out[0], out[1]);
    }

    /** One inference call on rows {@code [start, end)}: its outputs, in a fixed order (an entry may be null). */
    @FunctionalInterface
    private interface ChunkCall {
        INDArray[] run(long start, long end);
    }

    /**
     * {@code call} on rows 0..n−1, {@value #INFERENCE_CHUNK} at a time in order (so native memory stays bounded and
     * noise is drawn as for one pass), each output concatenated over the chunks (null where the call gave null).
     */
    private static INDArray[] byChunks(long n, ChunkCall call) {
        if (n < 1) throw new IllegalArgumentException("inference needs at least one row, got " + n);
        List<INDArray[]> parts = new ArrayList<>();
        for (long start = 0; start < n; start += INFERENCE_CHUNK) parts.add(call.run(start, Math.min(n, start + INFERENCE_CHUNK)));
        INDArray[] out = new INDArray[parts.get(0).length];
        for (int k = 0; k < out.length; k++) {
            int output = k;
            if (parts.get(0)[k] != null) out[k] = Nd4j.concat(0, parts.stream().map(p -> p[output]).toArray(INDArray[]::new));
        }
        return out;
    }

    /**
     * Feature alignment from latents {@code z [N,Z]} and conditioning {@code [N,K]} (null if unconditioned) with the
     * run's options: the FA-only image {@code [N,C,H,W]}.
     */
    public INDArray align(INDArray z, INDArray condition, Noise noise) {
        return alignChunks(z, condition, noise, false).image();
    }

    /** {@link #align}, with the probe before the squash too (the residual refiner's input). */
    public Aligned alignWithProbe(INDArray z, INDArray condition, Noise noise) {
        return alignChunks(z, condition, noise, true);
    }

    /** One inference call on a whole batch with a given r0 (null for r0 = 0), as training draws it. */
    private Aligned alignFeed(INDArray z, INDArray condition, INDArray r0, String imageName, String probeName) {
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("z", z.castTo(dt));
        if (condition != null) feed.put("condition", condition.castTo(dt));
        if (r0 != null) feed.put("r0", r0);
        return alignOutputs(feed, imageName, probeName);
    }

    /** The image and, unless {@code probeName} is null, the probe (a copy of the image when there is no squash). */
    private Aligned alignOutputs(Map<String, INDArray> feed, String imageName, String probeName) {
        if (probeName == null) return new Aligned(GraphCalls.outputs(inference, feed, imageName).get(imageName), null);
        if (probeName.equals(imageName)) {
            INDArray image = GraphCalls.outputs(inference, feed, imageName).get(imageName);
            return new Aligned(image, image.dup());
        }
        Map<String, INDArray> out = GraphCalls.outputs(inference, feed, imageName, probeName);
        return new Aligned(out.get(imageName), out.get(probeName));
    }

    private Aligned alignChunks(INDArray z, INDArray condition, Noise noise, boolean withProbe) {
        if (z.rank() != 2 || z.size(1) != arch.latent()) {
            throw new IllegalArgumentException("z: expected shape [N," + arch.latent() + "], got " + Arrays.toString(z.shape()));
        }
        int n = (int) z.size(0);
        if (arch.conditioning() > 0) requireCondition(condition, n);
        if (config.alignment().initialProbe() != AlignmentOptions.InitialProbe.ZERO && noise == null) {
            throw new IllegalArgumentException("a random initial probe needs a Noise source");
        }
        INDArray[] out = byChunks(n, (start, end) -> {
            Map<String, INDArray> feed = new HashMap<>();
            feed.put("z", z.get(NDArrayIndex.interval(start, end)).castTo(dt));
            if (condition != null) feed.put("condition", condition.get(NDArrayIndex.interval(start, end)).castTo(dt));
            INDArray r0 = randomProbe((int) (end - start), noise);
            if (r0 != null) feed.put("r0", r0);
            Aligned a = alignOutputs(feed, alignedName, withProbe ? alignedProbeName : null);
            return new INDArray[]{a.image(), a.probe()};
        });
        return new Aligned(out[0], out[1]);
    }

    /**
     * G in evaluation mode (running batch-norm statistics; the moving average of its weights with {@code gan.ema}) on FA
     * results {@code [N,C,H,W]}: exact for both refiners, as the residual one gets the probe itself.
     */
    public INDArray refine(Aligned fa, INDArray condition) {
        requireGenerator();
        return refineInput(generatorInput(fa.image(), fa.probe()), condition);
    }

    /**
     * G in evaluation mode on FA images {@code [N,C,H,W]}. Exact for the reference generator; the residual one needs the
     * probe, which is recovered here by inverting the squash with a clamp ({@link AlignmentOptions.Squash#invert}), so
     * its result can differ from {@link #refine(Aligned, INDArray)} in the last bits and at saturated pixels.
     */
    public INDArray refine(INDArray xhat, INDArray condition) {
        requireGenerator();
        if (generatorStep.generator().refiner() == Generator.Refiner.REFERENCE) return refineInput(xhat, condition);
        INDArray probe = config.alignment().squash().invert(xhat.castTo(dt), dt == DataType.DOUBLE ? 1e-12 : 1e-6);
        try {
            return refineInput(probe, condition);
        } finally {
            probe.close();
        }
    }

    private INDArray refineInput(INDArray input, INDArray condition) {
        int n = (int) input.size(0);
        if (arch.conditioning() > 0) requireCondition(condition, n);
        return byChunks(n, (start, end) -> {
            Map<String, INDArray> feed = new HashMap<>();
            feed.put("input", input.get(NDArrayIndex.interval(start, end)).castTo(dt));
            if (condition != null) feed.put("condition", condition.get(NDArrayIndex.interval(start, end)).castTo(dt));
            return new INDArray[]{GraphCalls.outputs(refineGraph, feed, refinedName).get(refinedName)};
        })[0];
    }

    private void requireGenerator() {
        if (generatorStep == null) throw new IllegalStateException("this model has no generator (gan = false)");
    }

    /**
     * FA reconstruction of images (docs/method.md §7): posterior latent (μ + σ·ε when {@code noise} is given, μ when it is
     * null), feature alignment toward it and the true conditioning, sigmoid. {@code [N,C,H,W]}.
     */
    public INDArray reconstruct(INDArray images, INDArray condition, Noise noise) {
        Posterior p = encode(images);
        INDArray z = p.mean();
        if (noise != null) {
            z = z.add(Transforms.exp(p.logVariance().mul(0.5), false).muli(noise.gaussian(dt, z.shape())));
        }
        return align(z, condition, noise);
    }

    /**
     * FA-only samples {@code [n,C,H,W]} from the run's prior ({@link #samplingPrior()}: z ~ N(0, I), or the fitted class
     * Gaussian) for the given conditioning rows ({@code [n,K]}, or null when unconditioned).
     */
    public INDArray sample(int n, INDArray condition, Noise noise) {
        return sample(n, condition, noise, samplingPrior());
    }

    /**
     * FA-only samples from {@code prior}: z ~ N(0, I) when null, else {@code z = mean[c] + std[c]·ε} with c the argmax of
     * each conditioning row. Both draw ε ~ N(0, I) {@code [n,Z]} first, then (random r0) the probes: the same noise.
     */
    public INDArray sample(int n, INDArray condition, Noise noise, LatentPrior prior) {
        return sampleWithProbe(n, condition, noise, prior, false).image();
    }

    /**
     * {@link #sample(int, INDArray, Noise, LatentPrior)} with the probe before the squash too, for
     * {@link #refine(Aligned, INDArray)} (exact for the residual refiner). The same noise as {@code sample}.
     */
    public Aligned sampleWithProbe(int n, INDArray condition, Noise noise, LatentPrior prior) {
        return sampleWithProbe(n, condition, noise, prior, true);
    }

    private Aligned sampleWithProbe(int n, INDArray condition, Noise noise, LatentPrior prior, boolean withProbe) {
        return alignChunks(latents(n, condition, noise, prior), condition, noise, withProbe);
    }
}
