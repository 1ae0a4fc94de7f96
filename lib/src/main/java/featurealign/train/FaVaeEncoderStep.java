package featurealign.train;

import featurealign.align.AlignmentOptions;
import featurealign.align.FaVaeObjective;
import featurealign.nn.Architecture;
import featurealign.nn.Encoder;
import featurealign.runtime.NativeMemory;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One FA-VAE encoder update as the reference (docs/method.md §4): clamp the encoder's conv/dense weights to ±√2, then
 * L = Σβ·KL + RL on a batch, its gradient through the feature-alignment step, and one Adam step on the encoder only.
 * The graph is built once and reused for every batch. Losses: {@code encoder_loss} (L), {@code reconstruction_loss}
 * (RL), {@code kl_weighted} (Σβ·KL); arrays: {@code reconstruction} x̂ and {@code probe} r_T (both {@code [batch,C,H,W]};
 * the probe is what the residual refiner works on).
 */
public final class FaVaeEncoderStep implements TrainingStep<FaVaeEncoderStep.Batch> {

    /**
     * One step's inputs.
     *
     * @param x         {@code [batch,C,H,W]} images already clamped to [0.01, 0.99]
     * @param condition {@code [batch,K]} or null when unconditioned
     * @param eps       {@code [batch,Z]} standard normal
     * @param beta      {@code [batch]} KL weights
     * @param r0        initial probe {@code [batch,C,H,W]}, or null for r0 = 0
     */
    public record Batch(INDArray x, INDArray condition, INDArray eps, INDArray beta, INDArray r0) {}

    public static final double WEIGHT_CLAMP = Math.sqrt(2);

    private final SameDiff sd;
    private final Encoder encoder;
    private final AlignmentOptions options;
    private final DataType dataType;
    private final Map<String, INDArray> parameters = new LinkedHashMap<>();
    private final boolean clampWeights, squashed;
    private final GraphUpdate update;

    /**
     * @param clampWeights the reference clamps encoder weights to ±√2 before every step; false is a named departure
     * @param optimizer    the encoder's Adam
     * @param memory       the memory its graph calls go through
     */
    public FaVaeEncoderStep(Architecture architecture, AlignmentOptions options, DataType dataType, long seed,
                            boolean clampWeights, Adam optimizer, NativeMemory memory) {
        this.options = options;
        this.dataType = dataType;
        this.clampWeights = clampWeights;
        this.sd = SameDiff.create();
        this.encoder = Encoder.declare(sd, architecture, dataType);
        encoder.initialize(seed);
        var img = architecture.image();
        SDVariable x = sd.placeHolder("x", dataType, img.withBatch(-1));
        SDVariable cond = architecture.conditioning() > 0
                ? sd.placeHolder("condition", dataType, -1, architecture.conditioning()) : null;
        SDVariable eps = sd.placeHolder("eps", dataType, -1, architecture.latent());
        SDVariable beta = sd.placeHolder("beta", dataType, -1);
        SDVariable r0 = options.initialProbe() == AlignmentOptions.InitialProbe.ZERO ? null
                : sd.placeHolder("r0", dataType, img.withBatch(-1));
        FaVaeObjective objective = FaVaeObjective.build(encoder, x, cond, eps, beta, r0, options);
        objective.loss().rename("loss");
        objective.reconstructionLoss().rename("rl");
        objective.alignment().image().rename("xhat");
        // With no squash the probe is the image itself: one variable, one name.
        this.squashed = objective.alignment().probe() != objective.alignment().image();
        if (squashed) objective.alignment().probe().rename("rhat");
        objective.weightedKl().rename("klw");
        sd.setLossVariables("loss");
        for (SDVariable v : encoder.parameters()) parameters.put(v.name(), v.getArr());
        this.update = new GraphUpdate("encoder", sd, parameters, optimizer, memory);
    }

    public Encoder encoder() { return encoder; }

    public SameDiff graph() { return sd; }

    @Override public Adam optimizer() { return update.optimizer(); }

    public AlignmentOptions options() { return options; }

    /** The encoder's parameter arrays by variable name (live: updated in place by {@link #run}). */
    @Override public Map<String, INDArray> parameters() { return parameters; }

    /** Clamps the encoder's conv/dense weights (not biases) to [−√2, √2] in place, as the reference does. */
    public void clampWeights() {
        for (SDVariable w : encoder.weights()) {
            INDArray a = w.getArr();
            Transforms.min(a, WEIGHT_CLAMP, false);
            Transforms.max(a, -WEIGHT_CLAMP, false);
        }
    }

    /** Clamps the weights (when configured), then one update; the reconstruction and probe are the caller's. */
    @Override
    public Result run(Batch b) {
        if (clampWeights) clampWeights();
        Map<String, String> arrays = squashed ? Map.of("reconstruction", "xhat", "probe", "rhat") : Map.of("reconstruction", "xhat");
        Result r = update.run(feed(b), LOSSES, arrays);
        if (squashed) return r;
        // The probe is the image itself: a copy, so that the two can be closed independently.
        INDArray xhat = r.array("reconstruction");
        return new Result(r.losses(), Map.of("reconstruction", xhat, "probe", xhat.dup()));
    }

    private static final Map<String, String> LOSSES = orderedMap("encoder_loss", "loss", "reconstruction_loss", "rl",
            "kl_weighted", "klw");

    static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put(keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    Map<String, INDArray> feed(Batch b) {
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("x", b.x().castTo(dataType));
        if (b.condition() != null) feed.put("condition", b.condition().castTo(dataType));
        feed.put("eps", b.eps().castTo(dataType));
        feed.put("beta", b.beta().castTo(dataType));
        if (b.r0() != null) feed.put("r0", b.r0().castTo(dataType));
        return feed;
    }
}
