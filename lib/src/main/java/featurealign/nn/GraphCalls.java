package featurealign.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.config.SDValue;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.ArrayCacheMemoryMgr;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Calls into SameDiff graphs that leave no native memory behind. SameDiff M2.1 keeps every value of a call
 * (activations and gradients alike) in the graph's session until the next call on it, and its default array cache may
 * hold up to a quarter of system memory per session; ND4J frees those buffers only when the garbage collector finds
 * them. These calls close what a call leaves behind, so only the results the caller asked for stay alive.
 */
public final class GraphCalls {
    private GraphCalls() {}

    /**
     * {@code sd.calculateGradientsAndOutputs}, then {@link #releaseSessionArrays} on the gradient function's session:
     * when this returns, only the requested outputs and gradients (owned by the caller) remain of the call.
     */
    public static OutAndGrad gradientsAndOutputs(SameDiff sd, Map<String, INDArray> feed, List<String> outputs,
                                          List<String> gradientsOf) {
        if (sd.getFunction("grad") == null) createGradFunctionQuietly(sd);
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

    /**
     * Builds the gradient function once. SameDiff M2.1 prints one "Added differentiated op" line per op to
     * {@code System.out} while doing so (hundreds of lines in a notebook cell); they are dropped.
     */
    public static void createGradFunctionQuietly(SameDiff sd) {
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(out);
        }
    }

    /** {@code sd.output} (forward only), then {@link #releaseSessionArrays}; the caller owns the returned arrays. */
    public static Map<String, INDArray> outputs(SameDiff sd, Map<String, INDArray> feed, String... outputs) {
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
    public static void releaseSessionArrays(InferenceSession session, Collection<INDArray> keep, SameDiff... graphs) {
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

}
