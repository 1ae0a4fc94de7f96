package featurealign.train;

import featurealign.align.Losses;
import featurealign.nn.Architecture;
import featurealign.runtime.NativeMemory;
import featurealign.nn.Network;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.*;

/**
 * One least-squares discriminator update (docs/method.md §5, steps 9 and 10): L_D = ½ Σ (t − D(images))² with target
 * t = +1 for real images and −1 for fakes, and one Adam step on D only. The graph is built once (it owns D's arrays; the
 * generator step's graph shares them) and reused for every batch and both targets. Its one loss is named
 * {@code discriminator_real} or {@code discriminator_fake} after the target.
 */
public final class DiscriminatorStep implements TrainingStep<DiscriminatorStep.Batch> {

    /** The two kinds of step: real images toward +1, generated ones toward −1. */
    public enum Target {
        REAL(1.0, "discriminator_real"), FAKE(-1.0, "discriminator_fake");

        final double value;
        /** The loss's name in {@link Result#losses()} (and in the run's history). */
        public final String loss;

        Target(double value, String loss) { this.value = value; this.loss = loss; }
    }

    /** One step's inputs: images {@code [batch,C,H,W]}, real (clamped) or generated, and the target they go toward. */
    public record Batch(INDArray images, Target target) {}

    private final SameDiff sd;
    private final Network discriminator;
    private final DataType dataType;
    private final String lossName;
    private final Map<String, INDArray> parameters = new LinkedHashMap<>();
    private final GraphUpdate update;

    /**
     * Declares D ({@link Architecture#discriminator()}) and initialises it from {@code seed}; {@code optimizer} is D's
     * Adam, {@code memory} the memory its graph calls go through.
     */
    public DiscriminatorStep(Architecture architecture, DataType dataType, long seed, Adam optimizer, NativeMemory memory) {
        this.dataType = dataType;
        this.sd = SameDiff.create();
        this.discriminator = Network.declare(sd, architecture.discriminator(), dataType);
        discriminator.initialize(seed);
        SDVariable images = sd.placeHolder("images", dataType, architecture.image().withBatch(-1));
        SDVariable target = sd.placeHolder("target", dataType, 1);
        lossName = Losses.leastSquares(discriminator.forward(images, true).output(), target).name();
        sd.setLossVariables(lossName);
        for (SDVariable v : discriminator.parameters()) parameters.put(v.name(), v.getArr());
        update = new GraphUpdate("discriminator", sd, parameters, optimizer, memory);
    }

    public Network discriminator() { return discriminator; }

    public SameDiff graph() { return sd; }

    @Override public Adam optimizer() { return update.optimizer(); }

    /** D's parameter arrays by variable name (live: updated in place by {@link #run}). */
    @Override public Map<String, INDArray> parameters() { return parameters; }

    @Override
    public Result run(Batch b) {
        Map<String, INDArray> feed = Map.of("images", b.images().castTo(dataType),
                "target", Nd4j.valueArrayOf(new long[]{1}, b.target().value, dataType));
        return update.run(feed, Map.of(b.target().loss, lossName), Map.of());
    }
}
