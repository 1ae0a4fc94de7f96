package featurealign.train;

import featurealign.align.Losses;
import featurealign.nn.Architecture;
import featurealign.runtime.GraphCalls;
import featurealign.nn.Network;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.*;

/**
 * One least-squares discriminator update (docs/method.md §5, steps 9 and 10): L_D = ½ Σ (t − D(images))² with target
 * t = +1 for real images and −1 for fakes, and one Adam step on D only. The graph is built once (it owns D's arrays; the
 * generator step's graph shares them) and reused for every batch and both targets.
 */
public final class DiscriminatorStep {

    /** The two kinds of step: real images toward +1, generated ones toward −1. */
    public enum Target {
        REAL(1.0, "discriminator real loss"), FAKE(-1.0, "discriminator fake loss");

        final double value;
        final String loss;

        Target(double value, String loss) { this.value = value; this.loss = loss; }
    }

    private final SameDiff sd;
    private final Network discriminator;
    private final DataType dataType;
    private final String lossName;
    private final Map<String, INDArray> parameters = new LinkedHashMap<>();

    /** Declares D ({@link Architecture#discriminator()}) and initialises it from {@code seed}. */
    public DiscriminatorStep(Architecture architecture, DataType dataType, long seed) {
        this.dataType = dataType;
        this.sd = SameDiff.create();
        this.discriminator = Network.declare(sd, architecture.discriminator(), dataType);
        discriminator.initialize(seed);
        SDVariable images = sd.placeHolder("images", dataType, architecture.image().withBatch(-1));
        SDVariable target = sd.placeHolder("target", dataType, 1);
        lossName = Losses.leastSquares(discriminator.forward(images, true).output(), target).name();
        sd.setLossVariables(lossName);
        for (SDVariable v : discriminator.parameters()) parameters.put(v.name(), v.getArr());
    }

    public Network discriminator() { return discriminator; }

    public SameDiff graph() { return sd; }

    /** D's parameter arrays by variable name (live: updated in place by {@link #run}). */
    public Map<String, INDArray> parameters() { return parameters; }

    /**
     * Runs one step.
     *
     * @param images    {@code [batch,C,H,W]}, real (clamped) or generated
     * @param target    REAL (+1) or FAKE (−1)
     * @param optimizer D's Adam
     * @return L_D before the update
     * @throws TrainingDivergedException if the loss or a gradient is NaN/Inf; then no parameter is updated
     */
    public double run(INDArray images, Target target, Adam optimizer) {
        Map<String, INDArray> feed = Map.of("images", images.castTo(dataType),
                "target", Nd4j.valueArrayOf(new long[]{1}, target.value, dataType));
        OutAndGrad d = GraphCalls.gradientsAndOutputs(sd, feed, List.of(lossName), new ArrayList<>(parameters.keySet()));
        double loss = d.getOutputs().get(lossName).getDouble(0);
        String when = "discriminator step " + (optimizer.step() + 1);
        TrainingDivergedException.requireFinite(target.loss, loss, when);
        TrainingDivergedException.requireFiniteGradients("discriminator", d.getGradients(), when);
        optimizer.update(parameters, d.getGradients());
        GraphCalls.recycle(d.getGradients().values()); // Adam wrote the updates there; the next step reuses them
        for (INDArray a : d.getOutputs().values()) if (a != null && !a.wasClosed() && a.closeable()) a.close();
        return loss;
    }
}
