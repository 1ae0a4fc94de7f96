package featurealign.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.ArrayList;
import java.util.List;

/**
 * The GAN refiner G (docs/method.md §3, §5, §8), in one of two forms ({@link Refiner}). In both the conditioning vector y
 * becomes one image channel through a dense layer (the label map) and is concatenated to the network's input.
 * <ul>
 * <li>{@link Refiner#REFERENCE}: G(x̂, y), a conv/batch-norm body on the feature-alignment image x̂ with a sigmoid
 *     output, as the reference.</li>
 * <li>{@link Refiner#RESIDUAL}: G(r̃, y) = squash(r̃ + δ(r̃, y)) on the feature-alignment probe r̃ before its squash,
 *     δ = {@link Architecture#residualRefiner()} with its last conv zero-initialised, so that G is exactly the identity
 *     on the FA image at step 0 (a named departure, issue 18).</li>
 * </ul>
 */
public final class Generator {

    /** Which refiner: the reference's image-to-image network, or a residual correction of the FA probe. */
    public enum Refiner { REFERENCE, RESIDUAL }

    /** One forward call: the output image and the batch statistics its batch-norm layers used (training mode). */
    public record Pass(SDVariable output, Network.Pass body) {}

    private final Refiner refiner;
    private final Network labelMap, body;
    /** RESIDUAL only: the parameter-free squash applied to r̃ + δ, or null for none. */
    private final Network squash;

    private Generator(Refiner refiner, Network labelMap, Network body, Network squash) {
        this.refiner = refiner;
        this.labelMap = labelMap;
        this.body = body;
        this.squash = squash;
    }

    /** The reference generator. */
    public static Generator declare(SameDiff sd, Architecture architecture, DataType dataType) {
        return declare(sd, architecture, dataType, Refiner.REFERENCE, null);
    }

    /**
     * @param squash for {@link Refiner#RESIDUAL}: the layer the feature alignment squashes its probe with (sigmoid,
     *               tanh), or null for none; ignored by the reference generator, whose body ends in a sigmoid
     */
    public static Generator declare(SameDiff sd, Architecture architecture, DataType dataType, Refiner refiner,
                                    LayerSpec squash) {
        NetworkSpec map = architecture.generatorLabelMap();
        Network labelMap = map == null ? null : Network.declare(sd, map, dataType);
        if (refiner == Refiner.REFERENCE) {
            return new Generator(refiner, labelMap, Network.declare(sd, architecture.generatorBody(), dataType), null);
        }
        Network squashNet = squash == null ? null : Network.declare(sd,
                new NetworkSpec("refiner_squash", architecture.image(), List.of(squash)), dataType);
        return new Generator(refiner, labelMap, Network.declare(sd, architecture.residualRefiner(), dataType), squashNet);
    }

    /** Declares {@code source} in another graph with the very same parameter and running-statistics arrays. */
    public static Generator declareShared(SameDiff sd, Generator source) {
        return new Generator(source.refiner,
                source.labelMap == null ? null : Network.declareShared(sd, source.labelMap),
                Network.declareShared(sd, source.body),
                source.squash == null ? null : Network.declareShared(sd, source.squash));
    }

    /**
     * Declares a copy of {@code source} in another graph with parameter arrays of its own (holding {@code source}'s
     * current values) and {@code source}'s running statistics: the home of an exponential moving average of the weights.
     */
    public static Generator declareCopy(SameDiff sd, Generator source) {
        return new Generator(source.refiner,
                source.labelMap == null ? null : Network.declareCopyWithSharedStatistics(sd, source.labelMap),
                Network.declareCopyWithSharedStatistics(sd, source.body),
                source.squash == null ? null : Network.declareShared(sd, source.squash));
    }

    public Refiner refiner() { return refiner; }

    /**
     * @param input        {@code [batch,C,H,W]}: the feature-alignment image x̂ for {@link Refiner#REFERENCE}, its probe
     *                     r̃ before the squash for {@link Refiner#RESIDUAL}
     * @param conditioning {@code [batch,conditioning]}, or null for an unconditioned architecture
     * @param training     batch statistics (true) or running statistics (false) in batch norm
     */
    public Pass forward(SDVariable input, SDVariable conditioning, boolean training) {
        SDVariable in = input;
        if (labelMap != null) {
            if (conditioning == null) throw new IllegalArgumentException("generator: this architecture needs a conditioning vector");
            SDVariable channel = labelMap.forward(conditioning, training).output();
            in = input.getSameDiff().concat(1, input, channel);
        }
        Network.Pass p = body.forward(in, training);
        if (refiner == Refiner.REFERENCE) return new Pass(p.output(), p);
        SDVariable refined = input.add(p.output()); // r̃ + δ: exactly r̃ while δ's last conv is zero
        return new Pass(squash == null ? refined : squash.forward(refined, training).output(), p);
    }

    public Network body() { return body; }

    /** The label map, or null when unconditioned. */
    public Network labelMap() { return labelMap; }

    public List<SDVariable> parameters() {
        List<SDVariable> p = new ArrayList<>();
        if (labelMap != null) p.addAll(labelMap.parameters());
        p.addAll(body.parameters());
        return p;
    }

    /**
     * Initialises as the reference (orthogonal weights, uniform biases); the residual refiner's last conv then gets zero
     * weights and bias, so that δ = 0 and G is the identity until its first update.
     */
    public void initialize(long seed) {
        if (labelMap != null) labelMap.initialize(seed);
        body.initialize(seed);
        if (refiner == Refiner.RESIDUAL) {
            for (SDVariable v : body.layerParameters(body.spec().layers().size() - 1)) v.getArr().assign(0.0);
        }
    }
}
