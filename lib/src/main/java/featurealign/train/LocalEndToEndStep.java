package featurealign.train;

import featurealign.runtime.NativeMemory;

import featurealign.nn.Network;
import featurealign.nn.NetworkSpec;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The end-to-end counterpart of {@link LocalTraining} on the same network, for the memory comparison (docs/method.md §6,
 * "Memory claim"): {@code x ← clamp(x, 0.01, 0.99)}, {@code r = 0} (input shape), T steps
 * {@code r ← r − η ∇_r ½‖f(x) − f(r)‖²} through the <em>whole</em> network f, {@code loss = ½‖x − r‖²} (no squash, as
 * the local loss), and its gradient with respect to every parameter through the inner steps; then one Adam step. Its
 * graph holds the whole network's forward at x and at r, the transpose, and their backward at once. Parameters are
 * initialised exactly as {@link LocalTraining}'s for the same spec and seed.
 */
public final class LocalEndToEndStep implements TrainingStep<INDArray> {

    private static final String INPUT = "x", LOSS = "loss";

    private final NetworkSpec spec;
    private final DataType dataType;
    private final SameDiff sd = SameDiff.create();
    private final NativeMemory memory = NativeMemory.withDefaults();
    private final Network net;
    private final Map<String, INDArray> parameters = new LinkedHashMap<>();
    private final GraphUpdate update;

    /**
     * @param spec           the network (every layer must have a transpose)
     * @param dataType       floating-point type
     * @param seed           seed of the reference initialisation
     * @param alignmentSteps T ≥ 1
     * @param stepSize       η > 0
     * @param optimizer      the Adam that updates every parameter
     */
    public LocalEndToEndStep(NetworkSpec spec, DataType dataType, long seed, int alignmentSteps, double stepSize,
                             Adam optimizer) {
        if (spec == null || dataType == null) throw new IllegalArgumentException("spec and dataType must not be null");
        LocalGraphs.requireTransposable(spec, "end-to-end step");
        if (alignmentSteps < 1) throw new IllegalArgumentException("alignment steps T must be >= 1, got " + alignmentSteps);
        if (!(stepSize > 0) || Double.isInfinite(stepSize)) {
            throw new IllegalArgumentException("alignment step size η must be positive and finite, got " + stepSize);
        }
        this.spec = spec;
        this.dataType = dataType;
        this.net = Network.declare(sd, spec, dataType);
        net.initialize(seed);
        SDVariable x = sd.placeHolder(INPUT, dataType, spec.input().withBatch(-1));
        SDVariable fx = net.forward(x, true).output();
        SDVariable r = sd.constant(Nd4j.zeros(dataType, spec.input().withBatch(1)));
        for (int t = 0; t < alignmentSteps; t++) {
            Network.Pass probe = net.forward(r, true);
            SDVariable grad = net.transpose(probe, probe.output().sub(fx)); // ∇_r ½‖f(x) − f(r)‖²
            r = t == 0 ? grad.mul(-stepSize) : r.sub(grad.mul(stepSize));
        }
        SDVariable diff = x.sub(r);
        diff.mul(diff).sum().mul(0.5).rename(LOSS);
        sd.setLossVariables(LOSS);
        for (SDVariable v : net.parameters()) parameters.put(v.name(), v.getArr());
        update = new GraphUpdate("end-to-end", sd, parameters, optimizer, memory);
    }

    /** Every parameter by variable name {@code <net>/<layer>/W|b}; the live arrays. */
    @Override public Map<String, INDArray> parameters() { return Collections.unmodifiableMap(parameters); }

    @Override public Adam optimizer() { return update.optimizer(); }

    public NetworkSpec spec() { return spec; }

    /** The native memory its graph calls go through. */
    public NativeMemory memory() { return memory; }

    /**
     * One step: the loss on {@code images} {@code [batch, input shape]} (clamped internally), named {@code loss}, and
     * Adam's update of every parameter.
     *
     * @throws TrainingDivergedException if the loss or a gradient is not finite; parameters are then left unchanged
     */
    @Override
    public Result run(INDArray images) {
        if (images == null) throw new IllegalArgumentException("images must not be null");
        spec.input().requireMatches(images.shape(), "images");
        try (NativeMemory.Scope scope = memory.batch((int) images.size(0))) {
            INDArray x = scope.own(LocalGraphs.clampedCopy(images, dataType));
            return update.run(Map.of(INPUT, x), Map.of(LOSS, LOSS), Map.of());
        }
    }

    /** The loss alone (forward only) for already-clamped input {@code x}; for finite-difference tests. */
    double loss(INDArray x) {
        INDArray out = memory.outputs(sd, Map.of(INPUT, x.castTo(dataType)), LOSS).get(LOSS);
        double loss = out.getDouble(0);
        out.close();
        return loss;
    }

    /** Loss and all parameter gradients for already-clamped input {@code x}; for tests. The caller closes them. */
    OutAndGrad lossAndGradients(INDArray x) {
        return memory.gradientsAndOutputs(sd, Map.of(INPUT, x.castTo(dataType)), List.of(LOSS),
                List.copyOf(parameters.keySet()));
    }
}
