package featurealign.runtime;

import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.*;

/**
 * Frees the intermediates of a graph call as soon as their last consumer has run. SameDiff M2.1 keeps every value of a
 * call alive until it returns: it builds gradient functions with array release switched off (where PyTorch frees as it
 * goes), and its forward calls hold every activation too. This
 * listener counts, per value, the ops of the graph it watches that read it; when the last one has executed, the value's
 * buffer goes to the shared {@link ArrayPool}, where later ops of the same call reuse it. A value read by an op the call
 * does not run (another output's branch) is simply kept to the end.
 * <p>
 * Safe by construction: a buffer is released only when every value sharing it (views, aliases) is dead, never when it
 * belongs to a variable, constant or fed array, and never for a requested output. One is attached per watched graph
 * (a graph's gradient function, or the graph itself for forward calls) and active only inside {@link NativeMemory}' calls.
 */
final class CallRelease extends BaseListener {

    private final SameDiff watched;
    private final ArrayPool pool;

    // State of the call in progress (null between calls).
    private Map<String, Integer> remaining;
    private Set<String> pinned;
    private Set<Long> protectedRoots;
    private final Map<String, Long> rootOf = new HashMap<>();
    private final Map<String, Long> idOf = new HashMap<>();
    private final Map<Long, Set<String>> liveByRoot = new HashMap<>();
    private final Map<Long, INDArray> rootArray = new HashMap<>();
    private long releasedBytes;

    /** Watches the calls that run {@code graph}'s ops (a gradient function, or a graph's forward calls). */
    CallRelease(SameDiff graph, ArrayPool pool) {
        this.watched = graph;
        this.pool = pool;
    }

    /** Whether this listener watches {@code graph}. */
    boolean watches(SameDiff graph) { return watched == graph; }

    /**
     * Starts tracking a call that must keep {@code pinnedNames} and never free the buffers of {@code fed} or of the
     * graphs' variables and constants.
     */
    void begin(Collection<String> pinnedNames, SameDiff[] graphs, Collection<INDArray> fed) {
        // Counted per call, from the graph as it is now: an op added since the last call must count as a reader.
        remaining = new HashMap<>();
        for (SameDiffOp op : watched.getOps().values()) {
            List<String> in = op.getInputsToOp();
            if (in != null) for (String name : in) remaining.merge(name, 1, Integer::sum);
        }
        pinned = new HashSet<>(pinnedNames);
        protectedRoots = NativeMemory.protectedRoots(fed, graphs);
        releasedBytes = 0;
    }

    /** Ends the call; returns the bytes released during it. */
    long end() {
        remaining = null;
        pinned = null;
        protectedRoots = null;
        rootOf.clear();
        idOf.clear();
        liveByRoot.clear();
        rootArray.clear();
        return releasedBytes;
    }

    @Override
    public boolean isActive(Operation operation) { return true; }

    @Override
    public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext opContext, INDArray[] outputs) {
        if (remaining == null) return;
        List<String> outNames = op.getOutputsOfOp();
        for (int i = 0; outNames != null && outputs != null && i < Math.min(outNames.size(), outputs.length); i++) {
            INDArray a = outputs[i];
            if (a == null || a.wasClosed()) continue;
            String name = outNames.get(i);
            long root = NativeMemory.rootAddress(a);
            rootOf.put(name, root);
            idOf.put(name, a.getId());
            liveByRoot.computeIfAbsent(root, k -> new HashSet<>()).add(name);
            if (!a.isView()) rootArray.putIfAbsent(root, a);
        }
        List<String> inNames = op.getInputsToOp();
        if (inNames == null) return;
        for (String name : new LinkedHashSet<>(inNames)) {
            int uses = Collections.frequency(inNames, name);
            Integer left = remaining.computeIfPresent(name, (k, n) -> n - uses);
            if (left != null && left <= 0 && rootOf.containsKey(name) && !pinned.contains(name)) dead(name);
        }
    }

    private void dead(String name) {
        long root = rootOf.get(name);
        Set<String> live = liveByRoot.get(root);
        if (live == null) return;
        live.remove(name);
        if (!live.isEmpty() || protectedRoots.contains(root)) return;
        liveByRoot.remove(root);
        INDArray a = rootArray.remove(root);
        // Skip what SameDiff itself already freed, and arrays whose buffer the pool already holds.
        if (a == null || a.wasClosed() || !a.closeable() || pool.holds(a)) return;
        if (!idOf.containsValue(a.getId())) return;
        releasedBytes += a.data().length() * a.data().getElementSize();
        pool.release(a);
    }
}
