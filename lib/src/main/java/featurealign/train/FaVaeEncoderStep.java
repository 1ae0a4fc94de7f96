package featurealign.train;

import featurealign.align.AlignmentOptions;
import featurealign.align.FaVaeObjective;
import featurealign.nn.Architecture;
import featurealign.nn.Encoder;
import featurealign.runtime.GraphCalls;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One FA-VAE encoder update as the reference (docs/method.md §4): clamp the encoder's conv/dense weights to ±√2, then
 * L = Σβ·KL + RL on a batch, its gradient through the feature-alignment step, and one Adam step on the encoder only.
 * The graph is built once and reused for every batch.
 */
public final class FaVaeEncoderStep {

    /**
     * What one step reports: the losses before the update, the reconstructions x̂ {@code [batch,C,H,W]} and the probe r_T
     * they were squashed from ({@code [batch,C,H,W]}; the residual refiner's input).
     */
    public record Result(double loss, double reconstructionLoss, double klWeighted, INDArray reconstruction,
                         INDArray probe) {}

    public static final double WEIGHT_CLAMP = Math.sqrt(2);

    private final SameDiff sd;
    private final Encoder encoder;
    private final FaVaeObjective objective;
    private final AlignmentOptions options;
    private final DataType dataType;
    private final Map<String, INDArray> parameters = new LinkedHashMap<>();
    private final List<String> parameterNames;
    private final List<String> outputs;
    private final boolean clampWeights;
    private final String probeName;

    /**
     * @param clampWeights the reference clamps encoder weights to ±√2 before every step; false is a named departure
     */
    public FaVaeEncoderStep(Architecture architecture, AlignmentOptions options, DataType dataType, long seed,
                            boolean clampWeights) {
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
        this.objective = FaVaeObjective.build(encoder, x, cond, eps, beta, r0, options);
        objective.loss().rename("loss");
        objective.reconstructionLoss().rename("rl");
        objective.alignment().image().rename("xhat");
        // With no squash the probe is the image itself: one variable, one name.
        boolean squashed = objective.alignment().probe() != objective.alignment().image();
        if (squashed) objective.alignment().probe().rename("rhat");
        this.probeName = squashed ? "rhat" : "xhat";
        objective.weightedKl().rename("klw");
        sd.setLossVariables("loss");
        for (SDVariable v : encoder.parameters()) parameters.put(v.name(), v.getArr());
        this.parameterNames = List.copyOf(parameters.keySet());
        this.outputs = squashed ? List.of("loss", "rl", "klw", "xhat", "rhat") : List.of("loss", "rl", "klw", "xhat");
    }

    public Encoder encoder() { return encoder; }

    public SameDiff graph() { return sd; }

    public AlignmentOptions options() { return options; }

    /** The encoder's parameter arrays by variable name (live: updated in place by {@link #run}). */
    public Map<String, INDArray> parameters() { return parameters; }

    /** Clamps the encoder's conv/dense weights (not biases) to [−√2, √2] in place, as the reference does. */
    public void clampWeights() {
        for (SDVariable w : encoder.weights()) {
            INDArray a = w.getArr();
            Transforms.min(a, WEIGHT_CLAMP, false);
            Transforms.max(a, -WEIGHT_CLAMP, false);
        }
    }

    /**
     * Runs one step.
     *
     * @param x         {@code [batch,C,H,W]} images already clamped to [0.01, 0.99]
     * @param condition {@code [batch,K]} or null when unconditioned
     * @param eps       {@code [batch,Z]} standard normal
     * @param beta      {@code [batch]} KL weights
     * @param r0        initial probe or null for r0 = 0
     * @param optimizer the encoder's Adam
     * @throws TrainingDivergedException if the loss or a gradient is NaN/Inf; then no parameter is updated
     */
    public Result run(INDArray x, INDArray condition, INDArray eps, INDArray beta, INDArray r0, Adam optimizer) {
        if (clampWeights) clampWeights();
        Map<String, INDArray> feed = feed(x, condition, eps, beta, r0);
        OutAndGrad out = GraphCalls.gradientsAndOutputs(sd, feed, outputs, parameterNames);
        Map<String, INDArray> values = out.getOutputs();
        double loss = values.get("loss").getDouble(0);
        Result r = new Result(loss, values.get("rl").getDouble(0), values.get("klw").getDouble(0), values.get("xhat"),
                probeOf(values));
        if (!Double.isFinite(loss)) {
            throw new TrainingDivergedException("encoder loss (Σβ·KL + RL) is " + loss + " (RL " + r.reconstructionLoss()
                    + ", Σβ·KL " + r.klWeighted() + ") at encoder step " + (optimizer.step() + 1));
        }
        for (var e : out.getGradients().entrySet()) {
            if (!Double.isFinite(e.getValue().sumNumber().doubleValue())) {
                throw new TrainingDivergedException("encoder gradient of " + e.getKey() + " is not finite at encoder step "
                        + (optimizer.step() + 1));
            }
        }
        optimizer.update(parameters, out.getGradients());
        GraphCalls.recycle(out.getGradients().values()); // Adam wrote the updates there; the next step reuses them
        return r;
    }

    /** The probe output; a copy when it is the image itself (no squash), so the two can be closed independently. */
    private INDArray probeOf(Map<String, INDArray> values) {
        return probeName.equals("xhat") ? values.get("xhat").dup() : values.get(probeName);
    }

    Map<String, INDArray> feed(INDArray x, INDArray condition, INDArray eps, INDArray beta, INDArray r0) {
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("x", x.castTo(dataType));
        if (condition != null) feed.put("condition", condition.castTo(dataType));
        feed.put("eps", eps.castTo(dataType));
        feed.put("beta", beta.castTo(dataType));
        if (r0 != null) feed.put("r0", r0.castTo(dataType));
        return feed;
    }
}
