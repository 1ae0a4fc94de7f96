package featurealign.train;

import featurealign.align.AlignmentOptions;
import featurealign.nn.Architecture;
import featurealign.nn.Encoder;
import featurealign.nn.Generator;
import featurealign.runtime.NativeMemory;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.*;

/**
 * The FA-VAE-GAN model of the paper: encoder, generator and discriminator, with the reference's training iteration
 * (docs/method.md §4, §5) and the inference the walkthroughs use (reconstruction, sampling, interpolation; §7).
 * <p>
 * It composes its parts, each with its own SameDiff graph built once; the graphs share the networks' parameter arrays,
 * so an Adam update made in one is seen by all: the three {@link TrainingStep}s ({@link FaVaeEncoderStep},
 * {@link GeneratorStep}, {@link DiscriminatorStep}), the encoder's inference graph ({@link FaInference}: posterior and
 * feature alignment, no gradients) and G's inference graph ({@link Refiner}). All of them call their graphs through
 * the model's one {@link NativeMemory}, and a training iteration runs in one of its scopes.
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

    private final RunConfig config;
    private final Architecture arch;
    private final DataType dt;
    private final NativeMemory memory = NativeMemory.withDefaults();
    private final FaVaeEncoderStep encoderStep;
    private final FaInference inference;
    // The GAN's parts (null without GAN): the discriminator step owns D, the generator step owns G and shares D.
    private final DiscriminatorStep discriminatorStep;
    private final GeneratorStep generatorStep;
    private final Refiner refiner;

    // The fitted CLASS_GAUSSIAN prior (null until fitted); not part of training, so not in stateArrays().
    private LatentPrior prior;

    /** Builds and initialises (seeded with {@code config.seed()}) every network the config needs. */
    public FaModel(RunConfig config) {
        this.config = config;
        this.arch = config.architecture();
        this.dt = config.dataType();
        long seed = config.seed();
        GanOptions gan = config.ganOptions();
        encoderStep = new FaVaeEncoderStep(arch, config.alignment(), dt, seed, config.clampWeights(), adam(config.learningRate()),
                memory);
        inference = new FaInference(encoderStep.encoder(), arch, config.alignment(), dt, memory);
        if (!config.gan()) {
            discriminatorStep = null;
            generatorStep = null;
            refiner = null;
            return;
        }
        discriminatorStep = new DiscriminatorStep(arch, dt, seed, adam(gan.discriminatorRate(config.learningRate())), memory);
        generatorStep = new GeneratorStep(arch, dt, seed, gan, config.alignment().squash(), config.perceptualWeight(),
                discriminatorStep.discriminator(), encoderStep.encoder(), adam(gan.generatorRate(config.learningRate())), memory);
        refiner = new Refiner(generatorStep, arch, dt, gan.ema(), memory);
    }

    private Adam adam(double learningRate) { return new Adam(learningRate, config.beta1(), config.beta2(), 1e-8); }

    public RunConfig config() { return config; }

    /** The native memory every graph call of this model goes through. */
    public NativeMemory memory() { return memory; }

    public Architecture architecture() { return arch; }

    public Encoder encoder() { return encoderStep.encoder(); }

    public Adam encoderOptimizer() { return encoderStep.optimizer(); }

    /** G's Adam, or null without GAN. */
    public Adam generatorOptimizer() { return generatorStep == null ? null : generatorStep.optimizer(); }

    /** D's Adam, or null without GAN. */
    public Adam discriminatorOptimizer() { return discriminatorStep == null ? null : discriminatorStep.optimizer(); }

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
    public boolean priorIsCurrent() { return prior != null && prior.encoderStep() == encoderOptimizer().step(); }

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
                    + " encoder updates and the encoder has had " + encoderOptimizer().step() + ": fit it again (FaTrainer.fitPrior())");
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
        if (refiner != null) refiner.averagedParameters().forEach((k, v) -> all.put(AVERAGE_PREFIX + k, v));
        return all;
    }

    public Map<String, INDArray> encoderParameters() { return encoderStep.parameters(); }

    /** The model's SameDiff graphs (encoder step, inference, generator, discriminator, refinement), e.g. for a profiler. */
    public List<SameDiff> graphs() {
        List<SameDiff> g = new ArrayList<>(List.of(encoderStep.graph(), inference.graph()));
        if (generatorStep != null) g.addAll(List.of(generatorStep.graph(), discriminatorStep.graph(), refiner.graph()));
        return g;
    }

    public Map<String, INDArray> generatorParameters() { return generatorStep == null ? Map.of() : generatorStep.parameters(); }

    /** The moving average of G's parameters by name (live), or an empty map without {@code gan.ema}. */
    public Map<String, INDArray> averagedGeneratorParameters() { return refiner == null ? Map.of() : refiner.averagedParameters(); }

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
        if (arch.conditioning() > 0) requireCondition(condition, batch, arch);
        // The scope closes this step's inputs and intermediates at its end (not at the next GC).
        try (NativeMemory.Scope scope = memory.batch(batch)) {
            // Encoder (§4): the clamped batch, ε, β and r0; one update of the encoder.
            INDArray x = scope.own(Transforms.max(Transforms.min(images.castTo(dt), 0.99, true), 0.01, false));
            INDArray eps = scope.own(noise.gaussian(dt, batch, arch.latent()));
            INDArray beta = scope.own(Double.isNaN(config.fixedKlWeight()) ? noise.uniform(dt, batch)
                    : Nd4j.valueArrayOf(new long[]{batch}, config.fixedKlWeight(), dt));
            INDArray r0 = scope.own(inference.randomProbe(batch, noise));
            encoderStep.optimizer().setLearningRate(config.encoderLearningRateAt(step - 1));
            TrainingStep.Result enc = run(encoderStep, new FaVaeEncoderStep.Batch(x, condition, eps, beta, r0), step);
            scope.ownAll(enc.arrays().values());
            if (!ganActive || generatorStep == null) return losses(enc, Double.NaN, Double.NaN, Double.NaN);

            // Generator (§5 step 8): on the detached reconstructions and, with gan.priorSamples, on prior samples.
            double generatorLoss = Double.NaN;
            if (config.generatorActiveAt(step - 1)) {
                Aligned sample = null;
                if (config.ganOptions().priorSamples()) {
                    sample = inference.alignBatch(scope.own(priorLatents(batch, condition, noise)), condition,
                            scope.own(inference.randomProbe(batch, noise)), false);
                    scope.ownAll(List.of(sample.image(), sample.probe()));
                }
                generatorLoss = generatorUpdate(new GeneratorStep.Batch(
                        generatorInput(enc.array("reconstruction"), enc.array("probe")), condition, x,
                        sample == null ? null : generatorInput(sample.image(), sample.probe()), condition,
                        sample == null ? null : sample.image()), step);
            }

            // Discriminator (§5 steps 9, 10): the real batch toward +1; then fakes toward −1, which are prior z through
            // exactly one FA step toward (z, labels of the batch), then G in training mode.
            double real = discriminatorUpdate(x, DiscriminatorStep.Target.REAL, step);
            INDArray z = scope.own(priorLatents(batch, condition, noise));
            INDArray r0Fake = scope.own(r0 == null ? null : inference.randomProbe(batch, noise));
            INDArray fake = scope.own(fakeImages(z, condition, r0Fake));
            double fakeLoss = discriminatorUpdate(fake, DiscriminatorStep.Target.FAKE, step);
            return losses(enc, generatorLoss, real, fakeLoss);
        }
    }

    private static StepLosses losses(TrainingStep.Result enc, double generator, double real, double fake) {
        return new StepLosses(enc.loss("encoder_loss"), enc.loss("reconstruction_loss"), enc.loss("kl_weighted"),
                generator, real, fake);
    }

    /** {@code trainingStep} on {@code batch}; a divergence names the training step too. */
    private static <B> TrainingStep.Result run(TrainingStep<B> trainingStep, B batch, long step) {
        try {
            return trainingStep.run(batch);
        } catch (TrainingDivergedException e) {
            throw new TrainingDivergedException(e.getMessage() + " (training step " + step + ")");
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
        TrainingStep.Result r = run(generatorStep, batch, step);
        refiner.afterGeneratorStep();
        return r.total();
    }

    /** The generator sub-step on reconstructions only: {@code input} is x̂ (reference G) or r̃ (residual G). */
    double generatorUpdate(INDArray input, INDArray condition, INDArray realClamped, long step) {
        return generatorUpdate(new GeneratorStep.Batch(input, condition, realClamped), step);
    }

    /** G(x̃) of prior latents through one FA step, in training mode (the discriminator's fakes). */
    INDArray fakeImages(INDArray z, INDArray condition, INDArray r0) {
        Aligned once = inference.alignBatch(z, condition, r0, true);
        try {
            return generatorStep.images(generatorInput(once.image(), once.probe()), condition);
        } finally {
            NativeMemory.closeAll(Arrays.asList(once.image(), once.probe()));
        }
    }

    /** A discriminator sub-step toward {@code target}: one Adam step on D only. Returns L_D. */
    double discriminatorUpdate(INDArray images, DiscriminatorStep.Target target, long step) {
        return run(discriminatorStep, new DiscriminatorStep.Batch(images, target), step).total();
    }

    /** The encoder sub-step (weights clamped first when configured); exposed to tests. */
    TrainingStep.Result encoderUpdate(INDArray clampedImages, INDArray condition, INDArray eps, INDArray beta, INDArray r0) {
        return encoderStep.run(new FaVaeEncoderStep.Batch(clampedImages, condition, eps, beta, r0));
    }

    static void requireCondition(INDArray condition, int batch, Architecture arch) {
        if (condition == null || condition.rank() != 2 || condition.size(0) != batch || condition.size(1) != arch.conditioning()) {
            throw new IllegalArgumentException("condition: expected shape [" + batch + "," + arch.conditioning() + "], got "
                    + (condition == null ? "null" : Arrays.toString(condition.shape())));
        }
    }

    // ---------------------------------------------------------------- inference

    /** Posterior μ and log σ² of images {@code [N,C,H,W]} in [0,1] (clamped to [0.01,0.99] as in training). */
    public Posterior encode(INDArray images) { return inference.encode(images); }

    /**
     * Feature alignment from latents {@code z [N,Z]} and conditioning {@code [N,K]} (null if unconditioned) with the
     * run's options: the FA-only image {@code [N,C,H,W]}.
     */
    public INDArray align(INDArray z, INDArray condition, Noise noise) {
        return inference.align(z, condition, noise, false).image();
    }

    /** {@link #align}, with the probe before the squash too (the residual refiner's input). */
    public Aligned alignWithProbe(INDArray z, INDArray condition, Noise noise) {
        return inference.align(z, condition, noise, true);
    }

    /**
     * G in evaluation mode (running batch-norm statistics; the moving average of its weights with {@code gan.ema}) on FA
     * results {@code [N,C,H,W]}: exact for both refiners, as the residual one gets the probe itself.
     */
    public INDArray refine(Aligned fa, INDArray condition) {
        requireGenerator();
        return refiner.refine(generatorInput(fa.image(), fa.probe()), condition);
    }

    /**
     * G in evaluation mode on FA images {@code [N,C,H,W]}. Exact for the reference generator; the residual one needs the
     * probe, which is recovered here by inverting the squash with a clamp ({@link AlignmentOptions.Squash#invert}), so
     * its result can differ from {@link #refine(Aligned, INDArray)} in the last bits and at saturated pixels.
     */
    public INDArray refine(INDArray xhat, INDArray condition) {
        requireGenerator();
        if (generatorStep.generator().refiner() == Generator.Refiner.REFERENCE) return refiner.refine(xhat, condition);
        INDArray probe = config.alignment().squash().invert(xhat.castTo(dt), dt == DataType.DOUBLE ? 1e-12 : 1e-6);
        try {
            return refiner.refine(probe, condition);
        } finally {
            probe.close();
        }
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
        return inference.align(latents(n, condition, noise, prior), condition, noise, withProbe);
    }
}
