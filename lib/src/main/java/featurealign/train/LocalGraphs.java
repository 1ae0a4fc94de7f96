package featurealign.train;

import featurealign.nn.LayerSpec;
import featurealign.nn.Network;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.config.SDValue;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.ArrayCacheMemoryMgr;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Helpers shared by the local-training classes: one-module networks, input clamping, native-memory policy. */
final class LocalGraphs {
    private LocalGraphs() {}

    /** The reference clamps training inputs to [0.01, 0.99] (paper notes §4, §6). */
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

    /**
     * {@code sd.calculateGradientsAndOutputs}, then {@link #releaseSessionArrays} on the gradient function's session:
     * when this returns, only the requested outputs and gradients (owned by the caller) remain of the call.
     */
    static OutAndGrad gradientsAndOutputs(SameDiff sd, Map<String, INDArray> feed, List<String> outputs,
                                          List<String> gradientsOf) {
        if (sd.getFunction("grad") == null) sd.createGradFunction();
        SameDiff gradFn = sd.getFunction("grad");
        InferenceSession session = eagerSession(gradFn);
        OutAndGrad out = null;
        try {
            out = sd.calculateGradientsAndOutputs(feed, outputs, gradientsOf);
            return out;
        } finally {
            List<INDArray> keep = new ArrayList<>(feed.values());
            if (out != null) {
                keep.addAll(out.getOutputs().values());
                keep.addAll(out.getGradients().values());
            }
            releaseSessionArrays(session, keep, sd, gradFn);
        }
    }

    /** {@code sd.output} (forward only), then {@link #releaseSessionArrays}; the caller owns the returned arrays. */
    static Map<String, INDArray> outputs(SameDiff sd, Map<String, INDArray> feed, String... outputs) {
        InferenceSession session = eagerSession(sd);
        Map<String, INDArray> out = null;
        try {
            out = sd.output(feed, outputs);
            return out;
        } finally {
            List<INDArray> keep = new ArrayList<>(feed.values());
            if (out != null) keep.addAll(out.values());
            releaseSessionArrays(session, keep, sd);
        }
    }

    /**
     * The graph's session on this thread, made to close intermediates it releases during a call instead of caching
     * them for reuse (SameDiff's default cache may hold up to a quarter of system memory per session).
     */
    private static InferenceSession eagerSession(SameDiff graph) {
        InferenceSession session = graph.getSessions()
                .computeIfAbsent(Thread.currentThread().getId(), k -> new InferenceSession(graph));
        if (!(session.getMmgr() instanceof ArrayCacheMemoryMgr m && !m.isEnableCache())) {
            ArrayCacheMemoryMgr eager = new ArrayCacheMemoryMgr();
            eager.setEnableCache(false); // release() then closes the array at once
            var previous = session.getMmgr();
            session.setMmgr(eager);
            if (previous != null) previous.close(); // only cached (unused) arrays live there
        }
        return session;
    }

    /**
     * Closes every array a finished call left in {@code session}. SameDiff (M2.1) keeps each call's values, activations
     * and gradients alike, in the session until the next call on it overwrites them, and frees them only when the
     * garbage collector finds them; with one graph per module, every module's state would so stay alive during the
     * whole step. Kept: the given arrays (results, fed inputs), the graphs' variables and constants, and anything
     * sharing a buffer with them; views are never closed themselves (their base is).
     */
    static void releaseSessionArrays(InferenceSession session, Collection<INDArray> keep, SameDiff... graphs) {
        Set<Long> kept = new HashSet<>();
        for (INDArray a : keep) if (a != null && !a.wasClosed()) kept.add(rootAddress(a));
        for (SameDiff g : graphs) {
            for (SDVariable v : g.variables()) {
                if (v.getVariableType() == VariableType.VARIABLE || v.getVariableType() == VariableType.CONSTANT) {
                    INDArray a = v.getArr();
                    if (a != null && !a.wasClosed()) kept.add(rootAddress(a));
                }
            }
        }
        var values = session.getNodeValueOutputs();
        for (SDValue value : values.values()) {
            INDArray a = value == null ? null : value.getTensorValue();
            if (a != null && !a.wasClosed() && !a.isView() && a.closeable() && !kept.contains(rootAddress(a))) a.close();
        }
        // Forget kept results too: they belong to the caller now, and a later release must not close them.
        values.clear();
    }

    private static long rootAddress(INDArray a) {
        DataBuffer d = a.data();
        while (d.originalDataBuffer() != null && d.originalDataBuffer() != d) d = d.originalDataBuffer();
        return d.address();
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

    static void closeAll(Iterable<INDArray> arrays) {
        for (INDArray a : arrays) if (a != null && a.closeable()) a.close();
    }
}
