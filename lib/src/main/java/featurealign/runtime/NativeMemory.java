package featurealign.runtime;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.config.SDValue;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The native memory of a model (or a judge, or a local trainer): its SameDiff graph calls, which leave no native
 * memory behind, and one bounded pool of released buffers ({@link ArrayPool}) that the next call reuses. SameDiff
 * M2.1 keeps every value of a call (activations and gradients alike) in the graph's session until the next call on
 * it, and its default array cache may hold up to a quarter of system memory per session; ND4J frees those buffers
 * only when the garbage collector finds them. Calls made here hand what a call leaves behind to the pool or close it,
 * so native memory stays bounded and only the results the caller asked for stay alive outside the pool.
 * <p>
 * There is no static state: whoever owns graphs owns a {@code NativeMemory} and makes every call on them through it
 * (a graph's session is bound to one pool). A training step runs inside a {@link Scope} ({@link #batch}), which
 * closes the step's arrays when it ends. Calls on one instance run one at a time (its methods are synchronized).
 */
public final class NativeMemory {

    /**
     * A step's arrays: those {@link #own}ed are closed when the scope closes (try-with-resources), so a step frees its
     * inputs and intermediates at once rather than at the next GC.
     */
    public final class Scope implements AutoCloseable {
        private final List<INDArray> owned = new ArrayList<>();

        private Scope() {}

        /** Closes {@code a} (null allowed) when this scope closes; returns it. */
        public INDArray own(INDArray a) {
            owned.add(a);
            return a;
        }

        /** {@link #own} for several arrays. */
        public void ownAll(Collection<INDArray> arrays) { owned.addAll(arrays); }

        @Override
        public void close() {
            closeAll(owned);
            owned.clear();
        }
    }

    /**
     * Closes arrays at once (nulls, views and arrays already closed are skipped): ND4J would free their native memory
     * only when the garbage collector finds them.
     */
    public static void closeAll(Iterable<INDArray> arrays) {
        for (INDArray a : arrays) if (a != null && !a.wasClosed() && a.closeable()) a.close();
    }

    /**
     * A memory with a pool of at most {@code poolBytes} free bytes (0: no reuse, every released array is closed at
     * once), freeing each intermediate after its last use when {@code releaseInCalls} ({@link CallRelease}).
     */
    public NativeMemory(long poolBytes, boolean releaseInCalls) {
        this.pool = new ArrayPool(poolBytes);
        this.releaseInCalls = releaseInCalls;
    }

    /**
     * A memory with the kit's settings: pool bound {@code -Dfeaturealign.arrayPoolMB} (default 768 MB: enough for an
     * MNIST FA-VAE-GAN iteration's buffers, whose fresh allocations are zero-filled and page-faulted in; the sizes
     * tried: docs/performance.md, "Native memory"), release in calls {@code -Dfeaturealign.releaseInCalls} (default
     * true).
     */
    public static NativeMemory withDefaults() {
        return new NativeMemory(Long.getLong("featurealign.arrayPoolMB", 768L) << 20,
                Boolean.parseBoolean(System.getProperty("featurealign.releaseInCalls", "true")));
    }

    private final ArrayPool pool;
    private boolean releaseInCalls;
    private long releasedInLastCall;
    private int lastBatchSize = -1;

    /**
     * Opens a step's scope for a batch of {@code batchSize}: a batch of another size than the last (an epoch's last,
     * smaller batch, and the full batch after it; figures after training) first empties the pool, whose buffers fit
     * the old size; kept beside a whole step of fresh ones they raise the peak.
     */
    public synchronized Scope batch(int batchSize) {
        newBatchSize(batchSize);
        return new Scope();
    }

    /** Empties the pool when {@code batchSize} differs from the last batch's. */
    private void newBatchSize(int batchSize) {
        if (batchSize != lastBatchSize) pool.releaseFree();
        lastBatchSize = batchSize;
    }

    /**
     * {@code sd.calculateGradientsAndOutputs}, then {@link #releaseSessionArrays} on the gradient function's session:
     * when this returns, only the requested outputs and gradients (owned by the caller) remain of the call.
     */
    public synchronized OutAndGrad gradientsAndOutputs(SameDiff sd, Map<String, INDArray> feed, List<String> outputs,
                                          List<String> gradientsOf) {
        if (sd.getFunction("grad") == null) createGradFunctionQuietly(sd);
        SameDiff gradFn = sd.getFunction("grad");
        InferenceSession session = cachedSession(gradFn);
        CallRelease release = releaseInCalls ? releaseListener(sd, gradFn) : null;
        if (release != null) {
            Set<String> pinned = new HashSet<>(outputs);
            for (String name : gradientsOf) {
                pinned.add(name + "-grad");
                SDVariable g = sd.getVariable(name).getGradient();
                if (g != null) pinned.add(g.name());
            }
            release.begin(pinned, new SameDiff[]{sd, gradFn}, feed.values());
        }
        OutAndGrad out = null;
        try {
            out = sd.calculateGradientsAndOutputs(feed, outputs, gradientsOf);
            return out;
        } finally {
            if (release != null) releasedInLastCall = release.end();
            List<INDArray> keep = new ArrayList<>(feed.values());
            if (out != null) {
                keep.addAll(out.getOutputs().values());
                keep.addAll(out.getGradients().values());
            }
            releaseSessionArrays(session, keep, sd, gradFn);
        }
    }

    /** Turns {@link CallRelease} on or off for later gradient and forward calls (tests, benchmarks). */
    public synchronized void setReleaseInCalls(boolean on) { releaseInCalls = on; }

    /** Bytes freed before the end of the last call by {@link CallRelease} (for tests, benchmarks). */
    public synchronized long releasedInLastCall() { return releasedInLastCall; }

    /**
     * The release listener of {@code sd} that watches {@code watched} (its gradient function, or {@code sd} itself for
     * forward calls); SameDiff runs a gradient call with {@code sd}'s listeners.
     */
    private CallRelease releaseListener(SameDiff sd, SameDiff watched) {
        if (sd.getListeners() != null) {
            for (var l : sd.getListeners()) if (l instanceof CallRelease r && r.watches(watched)) return r;
        }
        CallRelease r = new CallRelease(watched, pool);
        sd.addListeners(r);
        return r;
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
        // Building it copies the graph through its serialised form, arrays included, and leaves the copies to the
        // garbage collector: free them before the first call allocates.
        System.gc();
    }

    /**
     * {@code sd.output} (forward only; intermediates freed after their last use), then {@link #releaseSessionArrays};
     * the caller owns the returned arrays. The fed batch (the largest leading dimension fed) counts as a new batch
     * ({@link #batch}) first: figures and evaluation run inference at many batch sizes, and buffers kept from another
     * size only add to the peak.
     */
    public synchronized Map<String, INDArray> outputs(SameDiff sd, Map<String, INDArray> feed, String... outputs) {
        long batch = 0;
        for (INDArray a : feed.values()) if (a != null && a.rank() > 0) batch = Math.max(batch, a.size(0));
        if (batch > 0) newBatchSize((int) batch);
        InferenceSession session = cachedSession(sd);
        CallRelease release = releaseInCalls ? releaseListener(sd, sd) : null;
        if (release != null) release.begin(List.of(outputs), new SameDiff[]{sd}, feed.values());
        Map<String, INDArray> out = null;
        try {
            out = sd.output(feed, outputs);
            return out;
        } finally {
            if (release != null) releasedInLastCall = release.end();
            List<INDArray> keep = new ArrayList<>(feed.values());
            if (out != null) keep.addAll(out.values());
            releaseSessionArrays(session, keep, sd);
        }
    }

    /** Sets the pool's bound in bytes (0: no reuse); free buffers beyond it are closed (tests, benchmarks). */
    public synchronized void setArrayPoolBytes(long bytes) { pool.setMaxFreeBytes(bytes); }

    /**
     * Closes every free buffer of the pool. Training loops call it when they stop: the buffers fit the training step's
     * shapes, and what follows (checkpoints, figures, evaluation) would otherwise run with them still held and raise
     * the run's peak.
     */
    public synchronized void releaseFreeBuffers() { pool.releaseFree(); }

    /** The pool's counters: allocations served by reuse and allocated afresh (for benchmarks and tests). */
    public synchronized long[] poolCounts() { return new long[]{pool.reusedCount(), pool.allocatedCount()}; }

    /**
     * Hands arrays the caller owns and no longer needs (results of an earlier call) back to the pool, where the next
     * call reuses their buffers; past the pool's bound they are closed. Views and arrays already closed are skipped.
     * Do not touch the arrays afterwards.
     */
    public synchronized void recycle(Collection<INDArray> arrays) {
        for (INDArray a : arrays) pool.release(a); // the pool ignores views, closed arrays and repeats
    }

    /** The graph's session on this thread, made to allocate from and release into this memory's pool. */
    private InferenceSession cachedSession(SameDiff graph) {
        InferenceSession session = graph.getSessions()
                .computeIfAbsent(Thread.currentThread().getId(), k -> new InferenceSession(graph));
        if (session.getMmgr() != pool) {
            var previous = session.getMmgr();
            session.setMmgr(pool);
            if (previous != null) previous.close(); // only SameDiff's cached (unused) arrays live there
        }
        return session;
    }

    /**
     * Releases (to the pool, or closes) every array a finished call left in {@code session}. SameDiff (M2.1) keeps each call's values, activations
     * and gradients alike, in the session until the next call on it overwrites them, and frees them only when the
     * garbage collector finds them; with one graph per module, every module's state would so stay alive during the
     * whole step. Kept: the given arrays (results, fed inputs), the graphs' variables and constants, and anything
     * sharing a buffer with them; views are never closed themselves (their base is).
     */
    private synchronized void releaseSessionArrays(InferenceSession session, Collection<INDArray> keep, SameDiff... graphs) {
        Set<Long> kept = protectedRoots(keep, graphs);
        var values = session.getNodeValueOutputs();
        for (SDValue value : values.values()) {
            INDArray a = value == null ? null : value.getTensorValue();
            if (a == null || a.wasClosed() || a.isView() || !a.closeable() || kept.contains(rootAddress(a))) continue;
            pool.release(a);
        }
        // Forget kept results too: they belong to the caller now, and a later release must not close them.
        values.clear();
    }

    /**
     * Root buffer addresses a release must never free: those of {@code arrays} (results, fed inputs) and of the
     * graphs' variables and constants.
     */
    static Set<Long> protectedRoots(Collection<INDArray> arrays, SameDiff... graphs) {
        Set<Long> roots = new HashSet<>();
        for (INDArray a : arrays) if (a != null && !a.wasClosed()) roots.add(rootAddress(a));
        for (SameDiff g : graphs) {
            for (SDVariable v : g.variables()) {
                if (v.getVariableType() == VariableType.VARIABLE || v.getVariableType() == VariableType.CONSTANT) {
                    INDArray a = v.getArr();
                    if (a != null && !a.wasClosed()) roots.add(rootAddress(a));
                }
            }
        }
        return roots;
    }

    /** The address of the buffer that {@code a} (or the view chain it belongs to) ultimately lives in. */
    static long rootAddress(INDArray a) {
        DataBuffer d = a.data();
        while (d.originalDataBuffer() != null && d.originalDataBuffer() != d) d = d.originalDataBuffer();
        return d.address();
    }

}
