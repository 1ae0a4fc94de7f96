package featurealign.train;

import featurealign.align.AlignmentOptions;
import featurealign.align.Losses;
import featurealign.nn.Architecture;
import featurealign.nn.Encoder;
import featurealign.nn.Generator;
import featurealign.runtime.NativeMemory;
import featurealign.nn.LayerSpec;
import featurealign.nn.Network;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.*;

/**
 * One generator update (docs/method.md §5, step 8, and the departures of §14): the loss
 * <pre>
 *   L_G = ½ Σ (1 − D(G(u, y)))²                          adversarial, on the detached reconstructions of the real batch
 *       + P · (½ Σ (μ − μ_g)² + ½ Σ (σ − σ_g)²)          perceptual, when P > 0 (the reference: P = 0)
 *       + a · dist(G(u, y), x)                            anchor, when a = gan.anchorWeight > 0: L1 Σ|·|, L2 ½Σ(·)²
 *       + ½ Σ (1 − D(G(u_p, y_p)))²                       adversarial on prior samples, when gan.priorSamples
 *       + a_p · dist(G(u_p, y_p), x̃_p)                    prior anchor, when a_p = gan.priorAnchorWeight > 0: to the
 *                                                         FA sample x̃_p that G refines
 * </pre>
 * (sums over batch and elements, as every loss of the kit), then one Adam step on G only. u is the FA image x̂ for the
 * reference generator and the FA probe r̃ for the residual one ({@link Generator.Refiner}). The graph is built once: it
 * owns G's arrays and shares D's (and the encoder's, for the perceptual term). G runs in training mode, so batch norm
 * uses batch statistics and updates its running statistics as PyTorch does, in {@link #run} and in {@link #images}.
 * Losses: {@code generator_loss} (L_G), then those of its terms that this run's loss has: {@code adversarial},
 * {@code perceptual}, {@code anchor}, {@code prior_adversarial}, {@code prior_anchor} (each before its weight).
 */
public final class GeneratorStep implements TrainingStep<GeneratorStep.Batch> {

    /**
     * A batch for {@link #run}; every image {@code [batch,C,H,W]}, conditioning {@code [batch,K]} or null when
     * unconditioned.
     *
     * @param input          G's input for the reconstructions (x̂ or r̃, see {@link Generator#forward})
     * @param condition      their conditioning
     * @param real           the clamped real images; needed for the perceptual and anchor terms, else may be null
     * @param priorInput     G's input for prior samples when {@code gan.priorSamples}, else null
     * @param priorCondition their conditioning
     * @param priorImage     the FA samples x̃_p themselves, the prior anchor's target when {@code gan.priorAnchorWeight > 0},
     *                       else may be null
     */
    public record Batch(INDArray input, INDArray condition, INDArray real, INDArray priorInput, INDArray priorCondition,
                        INDArray priorImage) {
        /** A batch of reconstructions only (no prior samples). */
        public Batch(INDArray input, INDArray condition, INDArray real) {
            this(input, condition, real, null, null, null);
        }
    }

    private final SameDiff sd;
    private final Generator generator;
    private final DataType dataType;
    private final long imagePixels;
    private final boolean needsReal, priorSamples, priorAnchored;
    private final String lossName, anchorName, priorAnchorName, imageName;
    private final List<BnStat> statistics = new ArrayList<>(), priorStatistics = new ArrayList<>();
    private final Map<String, INDArray> parameters = new LinkedHashMap<>();
    private final Map<String, String> losses = new LinkedHashMap<>();
    private final GraphUpdate update;
    private final NativeMemory memory;

    /** A batch-norm layer's batch statistics (graph outputs) and the running arrays they update. */
    private record BnStat(String meanOutput, String varianceOutput, INDArray runningMean, INDArray runningVariance,
                          double momentum) {}

    /**
     * Declares G and initialises it from {@code seed}.
     *
     * @param squash           the feature alignment's squash, which the residual refiner applies to r̃ + δ
     * @param perceptualWeight P (the reference: 0)
     * @param discriminator    D, shared (the discriminator step owns it)
     * @param encoder          the encoder, shared, for the perceptual term; unused when P = 0
     * @param optimizer        G's Adam
     * @param memory           the memory its graph calls go through
     */
    public GeneratorStep(Architecture architecture, DataType dataType, long seed, GanOptions gan,
                         AlignmentOptions.Squash squash, double perceptualWeight, Network discriminator, Encoder encoder,
                         Adam optimizer, NativeMemory memory) {
        this.memory = memory;
        this.dataType = dataType;
        this.imagePixels = (long) architecture.image().dim(1) * architecture.image().dim(2);
        this.priorSamples = gan.priorSamples();
        this.priorAnchored = gan.priorAnchorWeight() > 0;
        this.needsReal = perceptualWeight > 0 || gan.anchorWeight() > 0;
        this.sd = SameDiff.create();
        this.generator = Generator.declare(sd, architecture, dataType, gan.refiner(), squash.layer());
        generator.initialize(seed);
        Network d = Network.declareShared(sd, discriminator);
        var image = architecture.image().withBatch(-1);
        int k = architecture.conditioning();
        SDVariable input = sd.placeHolder("input", dataType, image);
        SDVariable cond = k > 0 ? sd.placeHolder("condition", dataType, -1, k) : null;
        SDVariable real = needsReal ? sd.placeHolder("x", dataType, image) : null;
        Generator.Pass pass = generator.forward(input, cond, true);
        SDVariable g = pass.output();
        SDVariable adversarial = Losses.leastSquares(d.forward(g, true).output(), 1.0);
        SDVariable loss = adversarial;
        SDVariable perceptual = null, anchor = null, prior = null, priorAnchor = null;
        if (perceptualWeight > 0) {
            // P · (½Σ(μ − μ_g)² + ½Σ(σ − σ_g)²) with the (already updated) encoder, docs/method.md §5.
            Encoder e = Encoder.declareShared(sd, encoder);
            Encoder.Pass pr = e.forward(real), pg = e.forward(g);
            SDVariable dm = pr.mu().sub(pg.mu());
            SDVariable ds = sd.math().exp(pr.logVariance().mul(0.5)).sub(sd.math().exp(pg.logVariance().mul(0.5)));
            perceptual = dm.mul(dm).sum().mul(0.5).add(ds.mul(ds).sum().mul(0.5));
            loss = loss.add(perceptual.mul(perceptualWeight));
        }
        if (gan.anchorWeight() > 0) {
            // G is told what a refined reconstruction should be: the real image it reconstructs.
            anchor = distance(gan.anchor(), g, real);
            loss = loss.add(anchor.mul(gan.anchorWeight()));
        }
        if (priorSamples) {
            // What G refines at sampling time; no real image belongs to a prior sample, so the adversarial term only.
            SDVariable priorInput = sd.placeHolder("prior_input", dataType, image);
            SDVariable priorCond = k > 0 ? sd.placeHolder("prior_condition", dataType, -1, k) : null;
            Generator.Pass pp = generator.forward(priorInput, priorCond, true);
            prior = Losses.leastSquares(d.forward(pp.output(), true).output(), 1.0);
            loss = loss.add(prior);
            if (priorAnchored) {
                // G edits the sample it refines rather than repainting it (colour casts, another class).
                SDVariable sample = sd.placeHolder("prior_image", dataType, image);
                priorAnchor = distance(gan.anchor(), pp.output(), sample);
                loss = loss.add(priorAnchor.mul(gan.priorAnchorWeight()));
            }
            collect(pp, priorStatistics);
        }
        lossName = loss.name();
        losses.put("generator_loss", lossName);
        losses.put("adversarial", adversarial.name());
        if (perceptual != null) losses.put("perceptual", perceptual.name());
        if (anchor != null) losses.put("anchor", anchor.name());
        if (prior != null) losses.put("prior_adversarial", prior.name());
        if (priorAnchor != null) losses.put("prior_anchor", priorAnchor.name());
        anchorName = anchor == null ? null : anchor.name();
        priorAnchorName = priorAnchor == null ? null : priorAnchor.name();
        imageName = g.name();
        sd.setLossVariables(lossName);
        collect(pass, statistics);
        for (SDVariable v : generator.parameters()) parameters.put(v.name(), v.getArr());
        update = new GraphUpdate("generator", sd, parameters, optimizer, memory);
    }

    /** The anchors' distance of refined images to their targets: L1 Σ|G − t|, L2 ½Σ(G − t)². */
    private static SDVariable distance(GanOptions.Anchor anchor, SDVariable refined, SDVariable target) {
        return anchor == GanOptions.Anchor.L1 ? Losses.absoluteDistance(refined, target) : Losses.reconstruction(target, refined);
    }

    private void collect(Generator.Pass pass, List<BnStat> into) {
        for (Network.BatchStatistics s : pass.body().batchStatistics()) {
            List<SDVariable> run = generator.body().runningStatistics(s.layer());
            var bn = (LayerSpec.BatchNorm) generator.body().spec().layers().get(s.layer());
            into.add(new BnStat(s.mean().name(), s.variance().name(), run.get(0).getArr(), run.get(1).getArr(), bn.momentum()));
        }
    }

    public Generator generator() { return generator; }

    /** The graph variable of the anchor term (before its weight), or null without one; for gradient tests. */
    String anchorName() { return anchorName; }

    /** The graph variable of the prior anchor term (before its weight), or null without one; for gradient tests. */
    String priorAnchorName() { return priorAnchorName; }

    public SameDiff graph() { return sd; }

    @Override public Adam optimizer() { return update.optimizer(); }

    /** G's parameter arrays by variable name (live: updated in place by {@link #run}). */
    @Override public Map<String, INDArray> parameters() { return parameters; }

    /** Batch-norm running statistics by a unique name ({@code <batch-mean output>:runningMean|Variance}), for checkpoints. */
    public Map<String, INDArray> runningStatistics() {
        Map<String, INDArray> all = new LinkedHashMap<>();
        for (BnStat s : statistics) {
            all.put(s.meanOutput() + ":runningMean", s.runningMean());
            all.put(s.meanOutput() + ":runningVariance", s.runningVariance());
        }
        return all;
    }

    /**
     * One update; then G's running batch-norm statistics move toward this batch's.
     *
     * @throws IllegalArgumentException if the batch lacks what this step's loss needs
     */
    @Override
    public Result run(Batch b) {
        if (needsReal && b.real() == null) {
            throw new IllegalArgumentException("generator step: the perceptual or anchor term needs the real images");
        }
        if (priorSamples && b.priorInput() == null) {
            throw new IllegalArgumentException("generator step: gan.priorSamples = true needs prior samples");
        }
        Map<String, INDArray> feed = feed(b.input(), b.condition());
        if (needsReal) feed.put("x", b.real().castTo(dataType));
        if (priorSamples) {
            feed.put("prior_input", b.priorInput().castTo(dataType));
            if (b.priorCondition() != null) feed.put("prior_condition", b.priorCondition().castTo(dataType));
            if (priorAnchored) {
                if (b.priorImage() == null) {
                    throw new IllegalArgumentException("generator step: gan.priorAnchorWeight > 0 needs the FA samples it anchors to");
                }
                feed.put("prior_image", b.priorImage().castTo(dataType));
            }
        }
        Map<String, String> batchStatistics = new LinkedHashMap<>();
        for (BnStat s : statistics) { batchStatistics.put(s.meanOutput(), s.meanOutput()); batchStatistics.put(s.varianceOutput(), s.varianceOutput()); }
        for (BnStat s : priorStatistics) { batchStatistics.put(s.meanOutput(), s.meanOutput()); batchStatistics.put(s.varianceOutput(), s.varianceOutput()); }
        Result r = update.run(feed, losses, batchStatistics);
        updateRunningStatistics(r.arrays(), statistics, b.input().size(0));
        if (priorSamples) updateRunningStatistics(r.arrays(), priorStatistics, b.priorInput().size(0));
        NativeMemory.closeAll(r.arrays().values());
        return new Result(r.losses(), Map.of());
    }

    /**
     * G's images {@code [batch,C,H,W]} of {@code input} in training mode (batch statistics; running statistics updated
     * as PyTorch does): the discriminator's fakes (docs/method.md §5, step 10). No gradient, no update of G's weights.
     */
    public INDArray images(INDArray input, INDArray condition) {
        List<String> out = new ArrayList<>(List.of(imageName));
        for (BnStat s : statistics) { out.add(s.meanOutput()); out.add(s.varianceOutput()); }
        Map<String, INDArray> v = memory.outputs(sd, feed(input, condition), out.toArray(String[]::new));
        updateRunningStatistics(v, statistics, input.size(0));
        INDArray images = v.remove(imageName);
        NativeMemory.closeAll(v.values());
        return images;
    }

    private Map<String, INDArray> feed(INDArray input, INDArray condition) {
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("input", input.castTo(dataType));
        if (condition != null) feed.put("condition", condition.castTo(dataType));
        return feed;
    }

    /** PyTorch's BatchNorm2d running update: biased batch variance normalises, the unbiased one is averaged in. */
    private void updateRunningStatistics(Map<String, INDArray> outputs, List<BnStat> stats, long batch) {
        long n = batch * imagePixels;
        double unbias = n > 1 ? (double) n / (n - 1) : 1.0;
        for (BnStat s : stats) {
            s.runningMean().muli(1 - s.momentum()).addi(outputs.get(s.meanOutput()).mul(s.momentum()));
            s.runningVariance().muli(1 - s.momentum()).addi(outputs.get(s.varianceOutput()).mul(s.momentum() * unbias));
        }
    }
}
