package featurealign.train;

import featurealign.align.AlignmentOptions;
import featurealign.align.FeatureAlignment;
import featurealign.align.Losses;
import featurealign.nn.Architecture;
import featurealign.nn.Encoder;
import featurealign.nn.Generator;
import featurealign.nn.GraphCalls;
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

    static final int INFERENCE_CHUNK = 250;

    private final RunConfig config;
    private final Architecture arch;
    private final DataType dt;
    private final FaVaeEncoderStep encoderStep;
    private final Adam encoderAdam, generatorAdam, discriminatorAdam;

    // Inference graph: posterior of "x"; alignment of ("z", "condition"[, "r0"]) with the run's options and with one step.
    private final SameDiff inference;
    private final String muName, logVarName, alignedName, alignedOneStepName;

    // Generator graph (null without GAN): "xhat", "condition"[, "x"] -> generator loss through D; "xhat_eval" -> eval image.
    private final SameDiff generatorGraph;
    private final Generator generator;
    private final String generatorLossName, generatorImageName, generatorEvalName;
    private final List<BnStat> bnStats = new ArrayList<>();
    private final Map<String, INDArray> generatorParams = new LinkedHashMap<>();

    // Discriminator graph (null without GAN): "images", "target" -> ½Σ(target − D)².
    private final SameDiff discriminatorGraph;
    private final Network discriminator;
    private final String discriminatorLossName;
    private final Map<String, INDArray> discriminatorParams = new LinkedHashMap<>();

    // The fitted CLASS_GAUSSIAN prior (null until fitted); not part of training, so not in stateArrays().
    private LatentPrior prior;

    private record BnStat(String meanOutput, String varianceOutput, INDArray runningMean, INDArray runningVariance,
                          double momentum) {}

    /** Builds and initialises (seeded with {@code config.seed()}) every network the config needs. */
    public FaModel(RunConfig config) {
        this.config = config;
        this.arch = config.architecture();
        this.dt = config.dataType();
        long seed = config.seed();
        this.encoderStep = new FaVaeEncoderStep(arch, config.alignment(), dt, seed, config.clampWeights());
        this.encoderAdam = new Adam(config.learningRate(), config.beta1(), config.beta2(), 1e-8);
        this.generatorAdam = new Adam(config.learningRate(), config.beta1(), config.beta2(), 1e-8);
        this.discriminatorAdam = new Adam(config.learningRate(), config.beta1(), config.beta2(), 1e-8);

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
        alignedName = FeatureAlignment.reverse(encI, z, cond, r0, opts).image().name();
        alignedOneStepName = opts.steps() == 1 ? alignedName
                : FeatureAlignment.reverse(encI, z, cond, r0, opts.withSteps(1)).image().name();

        if (!config.gan()) {
            generatorGraph = null;
            generator = null;
            generatorLossName = generatorImageName = generatorEvalName = null;
            discriminatorGraph = null;
            discriminator = null;
            discriminatorLossName = null;
            return;
        }
        // Discriminator graph (owns D's arrays).
        discriminatorGraph = SameDiff.create();
        discriminator = Network.declare(discriminatorGraph, arch.discriminator(), dt);
        discriminator.initialize(seed);
        SDVariable images = discriminatorGraph.placeHolder("images", dt, arch.image().withBatch(-1));
        SDVariable target = discriminatorGraph.placeHolder("target", dt, 1);
        discriminatorLossName = Losses.leastSquares(discriminator.forward(images, true).output(), target).name();
        discriminatorGraph.setLossVariables(discriminatorLossName);
        for (SDVariable v : discriminator.parameters()) discriminatorParams.put(v.name(), v.getArr());

        // Generator graph (owns G's arrays; shares D's and, for the perceptual term, the encoder's).
        generatorGraph = SameDiff.create();
        generator = Generator.declare(generatorGraph, arch, dt);
        generator.initialize(seed);
        Network dInG = Network.declareShared(generatorGraph, discriminator);
        SDVariable xhat = generatorGraph.placeHolder("xhat", dt, arch.image().withBatch(-1));
        SDVariable gCond = arch.conditioning() > 0 ? generatorGraph.placeHolder("condition", dt, -1, arch.conditioning()) : null;
        Generator.Pass gPass = generator.forward(xhat, gCond, true);
        SDVariable gLoss = Losses.leastSquares(dInG.forward(gPass.output(), true).output(), 1.0);
        if (config.perceptualWeight() > 0) {
            // P · (½Σ(μ − μ_g)² + ½Σ(σ − σ_g)²) with the (already updated) encoder, docs/method.md §5.
            Encoder encG = Encoder.declareShared(generatorGraph, encoderStep.encoder());
            SDVariable real = generatorGraph.placeHolder("x", dt, arch.image().withBatch(-1));
            Encoder.Pass pr = encG.forward(real), pg = encG.forward(gPass.output());
            SDVariable dm = pr.mu().sub(pg.mu());
            SDVariable ds = generatorGraph.math().exp(pr.logVariance().mul(0.5)).sub(generatorGraph.math().exp(pg.logVariance().mul(0.5)));
            gLoss = gLoss.add(dm.mul(dm).sum().mul(0.5).add(ds.mul(ds).sum().mul(0.5)).mul(config.perceptualWeight()));
        }
        generatorLossName = gLoss.name();
        generatorImageName = gPass.output().name();
        generatorGraph.setLossVariables(generatorLossName);
        SDVariable xhatEval = generatorGraph.placeHolder("xhat_eval", dt, arch.image().withBatch(-1));
        SDVariable condEval = arch.conditioning() > 0 ? generatorGraph.placeHolder("condition_eval", dt, -1, arch.conditioning()) : null;
        generatorEvalName = generator.forward(xhatEval, condEval, false).output().name();
        for (SDVariable v : generator.parameters()) generatorParams.put(v.name(), v.getArr());
        for (Network.BatchStatistics s : gPass.body().batchStatistics()) {
            List<SDVariable> run = generator.body().runningStatistics(s.layer());
            var bn = (featurealign.nn.LayerSpec.BatchNorm) generator.body().spec().layers().get(s.layer());
            bnStats.add(new BnStat(s.mean().name(), s.variance().name(), run.get(0).getArr(), run.get(1).getArr(), bn.momentum()));
        }
    }

    public RunConfig config() { return config; }

    public Architecture architecture() { return arch; }

    public Encoder encoder() { return encoderStep.encoder(); }

    public Adam encoderOptimizer() { return encoderAdam; }

    public Adam generatorOptimizer() { return generatorAdam; }

    public Adam discriminatorOptimizer() { return discriminatorAdam; }

    /** Whether the model has a generator and discriminator. */
    public boolean hasGan() { return generator != null; }

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

    /** Every array a checkpoint must hold to continue exactly, by a unique name: parameters and batch-norm statistics. */
    public Map<String, INDArray> stateArrays() {
        Map<String, INDArray> all = new LinkedHashMap<>(encoderStep.parameters());
        all.putAll(generatorParams);
        for (BnStat s : bnStats) {
            all.put(s.meanOutput() + ":runningMean", s.runningMean());
            all.put(s.meanOutput() + ":runningVariance", s.runningVariance());
        }
        all.putAll(discriminatorParams);
        return all;
    }

    public Map<String, INDArray> encoderParameters() { return encoderStep.parameters(); }

    /** The model's SameDiff graphs (encoder step, inference, generator, discriminator), e.g. to attach a profiler. */
    public List<SameDiff> graphs() {
        List<SameDiff> g = new ArrayList<>(List.of(encoderStep.graph(), inference));
        if (generatorGraph != null) g.add(generatorGraph);
        if (discriminatorGraph != null) g.add(discriminatorGraph);
        return g;
    }

    public Map<String, INDArray> generatorParameters() { return generatorParams; }

    public Map<String, INDArray> discriminatorParameters() { return discriminatorParams; }

    /**
     * One training iteration in the reference's order: clamp → encoder step → (GAN) generator step on the detached
     * reconstructions of the real batch → discriminator real step → discriminator fake step from prior samples through
     * one FA step. Noise is drawn in this order: ε, β, r0 (if random), prior z.
     *
     * @param images    {@code [batch,C,H,W]} in [0,1]; clamped here to [0.01, 0.99]
     * @param condition {@code [batch,K]} or null when unconditioned
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
            if (!ganActive || generator == null) {
                return new StepLosses(enc.loss(), enc.reconstructionLoss(), enc.klWeighted(), Double.NaN, Double.NaN, Double.NaN);
            }
            double gLoss = generatorUpdate(enc.reconstruction(), condition, x, step);
            double dReal = discriminatorUpdate(x, 1.0, "discriminator real loss", step);
            // Fake step: prior z, exactly one FA step toward (z, labels of the batch), then G in training mode. z ~ N(0, I)
            // whatever sampling.prior says: the setting changes how a trained run samples, never training.
            INDArray z = noise.gaussian(dt, batch, arch.latent());
            owned.add(z);
            INDArray r0Fake = r0 == null ? null : randomProbe(batch, noise);
            owned.add(r0Fake);
            INDArray fake = fakeImages(z, condition, r0Fake, x);
            owned.add(fake);
            double dFake = discriminatorUpdate(fake, -1.0, "discriminator fake loss", step);
            return new StepLosses(enc.loss(), enc.reconstructionLoss(), enc.klWeighted(), gLoss, dReal, dFake);
        } finally {
            closeAll(owned); // this step's inputs and intermediates: free their native memory now, not at the next GC
        }
    }

    /** The generator sub-step on detached reconstructions {@code xhat}: one Adam step on G only. Returns L_G. */
    double generatorUpdate(INDArray xhat, INDArray condition, INDArray realClamped, long step) {
        List<String> gOut = new ArrayList<>(List.of(generatorLossName));
        for (BnStat s : bnStats) { gOut.add(s.meanOutput()); gOut.add(s.varianceOutput()); }
        OutAndGrad g = GraphCalls.gradientsAndOutputs(generatorGraph, generatorFeed(xhat, condition, realClamped), gOut,
                new ArrayList<>(generatorParams.keySet()));
        double gLoss = g.getOutputs().get(generatorLossName).getDouble(0);
        check("generator loss", gLoss, step);
        checkGradients("generator", g.getGradients(), step);
        generatorAdam.update(generatorParams, g.getGradients());
        updateRunningStatistics(g.getOutputs(), (int) xhat.size(0));
        GraphCalls.recycle(g.getGradients().values()); // Adam wrote the updates there; the next step reuses them
        closeAll(g.getOutputs().values());
        return gLoss;
    }

    /** G(x̃) of prior latents in training mode (batch statistics; running statistics updated as PyTorch does). */
    INDArray fakeImages(INDArray z, INDArray condition, INDArray r0, INDArray realClamped) {
        INDArray xTilde = alignOnce(z, condition, r0);
        List<String> fOut = new ArrayList<>(List.of(generatorImageName));
        for (BnStat s : bnStats) { fOut.add(s.meanOutput()); fOut.add(s.varianceOutput()); }
        Map<String, INDArray> fake = GraphCalls.outputs(generatorGraph, generatorFeed(xTilde, condition, realClamped), fOut.toArray(String[]::new));
        updateRunningStatistics(fake, (int) z.size(0));
        INDArray images = fake.remove(generatorImageName);
        closeAll(fake.values());
        xTilde.close();
        return images;
    }

    private Map<String, INDArray> generatorFeed(INDArray xhat, INDArray condition, INDArray realClamped) {
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("xhat", xhat.castTo(dt));
        if (condition != null) feed.put("condition", condition.castTo(dt));
        if (config.perceptualWeight() > 0) feed.put("x", realClamped);
        return feed;
    }

    /** A discriminator sub-step toward {@code target} (+1 real, −1 fake): one Adam step on D only. Returns L_D. */
    double discriminatorUpdate(INDArray images, double target, String what, long step) {
        Map<String, INDArray> feed = Map.of("images", images.castTo(dt), "target", Nd4j.valueArrayOf(new long[]{1}, target, dt));
        OutAndGrad d = GraphCalls.gradientsAndOutputs(discriminatorGraph, feed, List.of(discriminatorLossName),
                new ArrayList<>(discriminatorParams.keySet()));
        double loss = d.getOutputs().get(discriminatorLossName).getDouble(0);
        check(what, loss, step);
        checkGradients("discriminator", d.getGradients(), step);
        discriminatorAdam.update(discriminatorParams, d.getGradients());
        GraphCalls.recycle(d.getGradients().values());
        closeAll(d.getOutputs().values());
        return loss;
    }

    /** The encoder sub-step (weights clamped first when configured); exposed to tests. */
    FaVaeEncoderStep.Result encoderUpdate(INDArray clampedImages, INDArray condition, INDArray eps, INDArray beta, INDArray r0) {
        return encoderStep.run(clampedImages, condition, eps, beta, r0, encoderAdam);
    }

    /** Closes arrays at once: ND4J would free their native memory only when the garbage collector finds them. */
    private static void closeAll(Collection<INDArray> arrays) {
        for (INDArray a : arrays) if (a != null && !a.wasClosed() && a.closeable()) a.close();
    }

    /** PyTorch's BatchNorm2d running update: biased batch variance normalises, the unbiased one is averaged in. */
    private void updateRunningStatistics(Map<String, INDArray> outputs, int batch) {
        long n = (long) batch * arch.image().dim(1) * arch.image().dim(2);
        double unbias = n > 1 ? (double) n / (n - 1) : 1.0;
        for (BnStat s : bnStats) {
            s.runningMean().muli(1 - s.momentum()).addi(outputs.get(s.meanOutput()).mul(s.momentum()));
            s.runningVariance().muli(1 - s.momentum()).addi(outputs.get(s.varianceOutput()).mul(s.momentum() * unbias));
        }
    }

    private INDArray randomProbe(int batch, Noise noise) {
        AlignmentOptions o = config.alignment();
        if (o.initialProbe() == AlignmentOptions.InitialProbe.ZERO) return null;
        if (o.initialProbe() == AlignmentOptions.InitialProbe.GIVEN) {
            throw new IllegalStateException("training needs r0 ZERO or RANDOM; GIVEN is for hand-built graphs");
        }
        return noise.gaussian(dt, arch.image().withBatch(batch)).muli(o.randomScale());
    }

    private static void check(String what, double value, long step) {
        if (!Double.isFinite(value)) throw new TrainingDivergedException(what + " is " + value + " at step " + step);
    }

    private static void checkGradients(String network, Map<String, INDArray> grads, long step) {
        for (var e : grads.entrySet()) {
            double s = e.getValue().sumNumber().doubleValue();
            if (!Double.isFinite(s)) {
                throw new TrainingDivergedException(network + " gradient of " + e.getKey() + " is not finite at step " + step);
            }
        }
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
        List<INDArray> mus = new ArrayList<>(), lvs = new ArrayList<>();
        for (long start = 0; start < images.size(0); start += INFERENCE_CHUNK) {
            long end = Math.min(images.size(0), start + INFERENCE_CHUNK);
            INDArray x = Transforms.max(Transforms.min(images.get(NDArrayIndex.interval(start, end)).castTo(dt), 0.99, true), 0.01, false);
            Map<String, INDArray> out = GraphCalls.outputs(inference, Map.of("x", x), muName, logVarName);
            mus.add(out.get(muName));
            lvs.add(out.get(logVarName));
        }
        return new Posterior(Nd4j.concat(0, mus.toArray(INDArray[]::new)), Nd4j.concat(0, lvs.toArray(INDArray[]::new)));
    }

    /**
     * Feature alignment from latents {@code z [N,Z]} and conditioning {@code [N,K]} (null if unconditioned) with the
     * run's options: the FA-only image {@code [N,C,H,W]}.
     */
    public INDArray align(INDArray z, INDArray condition, Noise noise) {
        return alignChunks(z, condition, noise, alignedName);
    }

    private INDArray alignOnce(INDArray z, INDArray condition, INDArray r0) {
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("z", z.castTo(dt));
        if (condition != null) feed.put("condition", condition.castTo(dt));
        if (r0 != null) feed.put("r0", r0);
        return GraphCalls.outputs(inference, feed, alignedOneStepName).get(alignedOneStepName);
    }

    private INDArray alignChunks(INDArray z, INDArray condition, Noise noise, String output) {
        if (z.rank() != 2 || z.size(1) != arch.latent()) {
            throw new IllegalArgumentException("z: expected shape [N," + arch.latent() + "], got " + Arrays.toString(z.shape()));
        }
        int n = (int) z.size(0);
        if (arch.conditioning() > 0) requireCondition(condition, n);
        List<INDArray> parts = new ArrayList<>();
        for (int start = 0; start < n; start += INFERENCE_CHUNK) {
            int end = Math.min(n, start + INFERENCE_CHUNK);
            Map<String, INDArray> feed = new HashMap<>();
            feed.put("z", z.get(NDArrayIndex.interval(start, end)).castTo(dt));
            if (condition != null) feed.put("condition", condition.get(NDArrayIndex.interval(start, end)).castTo(dt));
            if (config.alignment().initialProbe() != AlignmentOptions.InitialProbe.ZERO) {
                if (noise == null) throw new IllegalArgumentException("a random initial probe needs a Noise source");
                feed.put("r0", randomProbe(end - start, noise));
            }
            parts.add(GraphCalls.outputs(inference, feed, output).get(output));
        }
        return Nd4j.concat(0, parts.toArray(INDArray[]::new));
    }

    /** The generator in evaluation mode (running batch-norm statistics) on FA images {@code [N,C,H,W]}. */
    public INDArray refine(INDArray xhat, INDArray condition) {
        if (generator == null) throw new IllegalStateException("this model has no generator (gan = false)");
        int n = (int) xhat.size(0);
        if (arch.conditioning() > 0) requireCondition(condition, n);
        List<INDArray> parts = new ArrayList<>();
        for (int start = 0; start < n; start += INFERENCE_CHUNK) {
            int end = Math.min(n, start + INFERENCE_CHUNK);
            Map<String, INDArray> feed = new HashMap<>();
            feed.put("xhat_eval", xhat.get(NDArrayIndex.interval(start, end)).castTo(dt));
            if (condition != null) feed.put("condition_eval", condition.get(NDArrayIndex.interval(start, end)).castTo(dt));
            parts.add(GraphCalls.outputs(generatorGraph, feed, generatorEvalName).get(generatorEvalName));
        }
        return Nd4j.concat(0, parts.toArray(INDArray[]::new));
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
        INDArray eps = noise.gaussian(dt, n, arch.latent());
        if (prior == null) return align(eps, condition, noise);
        if (prior.latent() != arch.latent()) {
            throw new IllegalArgumentException("a latent prior of " + prior.latent() + " latents cannot sample Z = " + arch.latent());
        }
        INDArray z = prior.latents(eps, prior.classesOf(condition, n));
        eps.close();
        return align(z, condition, noise);
    }
}
