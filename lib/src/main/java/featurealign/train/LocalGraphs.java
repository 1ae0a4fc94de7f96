package featurealign.train;

import featurealign.nn.LayerSpec;
import featurealign.nn.Network;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;
import java.util.Map;

/** Helpers shared by the local-training classes: one-module networks, input clamping, the finiteness check. */
final class LocalGraphs {
    private LocalGraphs() {}

    /** The reference clamps training inputs to [0.01, 0.99] (docs/method.md §4, §6). */
    static final double CLAMP_LOW = 0.01, CLAMP_HIGH = 0.99;

    /**
     * Declares module {@code index} of {@code spec} alone, as a one-layer {@link Network} in {@code sd}, whose variables
     * carry the names the whole network would give them ({@code <name>/<index>/W|b}). So parameter maps, checkpoints
     * and {@link Network#initialize} (seeded by variable name) agree with {@code Network.declare(sd, spec, ...)}.
     */
    static Network declareModule(SameDiff sd, NetworkSpec spec, int index, DataType dataType) {
        Shape in = spec.shapes().get(index);
        // Declared under a temporary name, then renamed: a one-layer network would otherwise call its layer 0.
        String temporary = spec.name() + "_module" + index;
        NetworkSpec one = new NetworkSpec(temporary, in, List.of(spec.layers().get(index)));
        Network net = Network.declare(sd, one, dataType);
        for (SDVariable v : net.parameters()) {
            String suffix = v.name().substring((temporary + "/0/").length());
            v.rename(spec.name() + "/" + index + "/" + suffix);
        }
        return net;
    }

    /** Checks every layer has a transpose (local training and reconstruction need one), naming the first that does not. */
    static void requireTransposable(NetworkSpec spec, String what) {
        for (int i = 0; i < spec.layers().size(); i++) {
            LayerSpec l = spec.layers().get(i);
            if (!l.transposable()) {
                throw new IllegalArgumentException(what + ": " + spec.name() + " layer " + i + " (" + l
                        + ") has no transpose; only conv, dense, activations, flatten and reshape are supported");
            }
        }
    }

    /**
     * {@code clamp(images, 0.01, 0.99)} as a new array of {@code dataType}; the caller owns (and closes) the result.
     */
    static INDArray clampedCopy(INDArray images, DataType dataType) {
        INDArray cast = images.castTo(dataType);
        INDArray out = Transforms.min(cast, CLAMP_HIGH, true);
        if (cast != images) cast.close();
        return Transforms.max(out, CLAMP_LOW, false);
    }

    /** The name of the first array holding NaN or ±Inf, or null when all are finite. */
    static String firstNonFinite(Map<String, INDArray> arrays) {
        for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
            INDArray a = e.getValue();
            if (BooleanIndexing.or(a, Conditions.isNan()) || BooleanIndexing.or(a, Conditions.isInfinite())) {
                return e.getKey();
            }
        }
        return null;
    }
}
