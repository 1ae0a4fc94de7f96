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
 * Calls into SameDiff graphs that leave no native memory behind. SameDiff M2.1 keeps every value of a call
 * (activations and gradients alike) in the graph's session until the next call on it, and its default array cache may
 * hold up to a quarter of system memory per session; ND4J frees those buffers only when the garbage collector finds
 * them. These calls hand what a call leaves behind to one shared pool of fixed size ({@link ArrayPool}, reused by the
 * next call) or close it, so native memory stays bounded and only the results the caller asked for stay alive outside
 * the pool.
 */
public final class GraphCalls {
    private GraphCalls() {}

    /**
     * {@code sd.calculateGradientsAndOutputs}, then {@link #releaseSessionArrays} on the gradient function's session:
     * when this returns, only the requested outputs and gradients (owned by the caller) remain of the call.
     */
    public static synchronized OutAndGrad gradientsAndOutputs(SameDiff sd, Map<String, INDArray> feed, List<String> outputs,
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

    /**
     * Whether calls free each intermediate after its last use ({@link CallRelease}); system property
     * {@code featurealign.releaseInCalls} (default true). Off, a call keeps all its values to the end, as SameDiff M2.1
     * does by itself.
     */
    private static boolean releaseInCalls =
            Boolean.parseBoolean(System.getProperty("featurealign.releaseInCalls", "true"));

    /** Turns {@link CallRelease} on or off for later gradient and forward calls (tests, benchmarks). */
    public static synchronized void setReleaseInCalls(boolean on) { releaseInCalls = on; }

    private static long releasedInLastCall;

    /** Bytes freed before the end of the last call by {@link CallRelease} (for tests, benchmarks). */
    public static synchronized long releasedInLastCall() { return releasedInLastCall; }

    /**
     * The release listener of {@code sd} that watches {@code watched} (its gradient function, or {@code sd} itself for
     * forward calls); SameDiff runs a gradient call with {@code sd}'s listeners.
     */
    private static CallRelease releaseListener(SameDiff sd, SameDiff watched) {
        if (sd.getListeners() != null) {
            for (var l : sd.getListeners()) if (l instanceof CallRelease r && r.watches(watched)) return r;
        }
        CallRelease r = new CallRelease(watched, POOL);
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
     * the caller owns the returned arrays. The fed batch (the largest leading dimension fed) goes through
     * {@link #beginBatch} first: figures and evaluation run inference at many batch sizes, and buffers kept from
     * another size only add to the peak.
     */
    public static synchronized Map<String, INDArray> outputs(SameDiff sd, Map<String, INDArray> feed, String... outputs) {
        long batch = 0;
        for (INDArray a : feed.values()) if (a != null && a.rank() > 0) batch = Math.max(batch, a.size(0));
        if (batch > 0) beginBatch((int) batch);
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

    /**
     * Upper bound of the free buffers kept for reuse by every graph's session, in bytes: system property
     * {@code featurealign.arrayPoolMB}, default 768 (0 turns reuse off: every released array is closed at once): enough
     * for an MNIST FA-VAE-GAN iteration's buffers, whose fresh allocations are zero-filled and page-faulted in (the
     * sizes tried: docs/performance.md, "Native memory"); an encoder-only step needs far less, so the bound does not
     * raise the peak of FA-VAE training.
     */
    public static final long ARRAY_POOL_BYTES = Long.getLong("featurealign.arrayPoolMB", 768L) << 20;

    /**
     * One bounded pool of released buffers for all sessions of all graphs ({@link ArrayPool}). Without reuse, every op
     * output is a fresh allocation that ND4J zero-fills. SameDiff's default cache is per
     * session, may hold a quarter of system memory each, and in M2.1 reuses almost nothing; one shared pool of fixed
     * size bounds native memory instead. Calls run one at a time (they are synchronized on this class), so sharing it
     * between graphs is safe.
     */
    private static final ArrayPool POOL = new ArrayPool(ARRAY_POOL_BYTES);

    /** Sets the shared pool's bound in bytes (0: no reuse); free buffers beyond it are closed (tests, benchmarks). */
    public static synchronized void setArrayPoolBytes(long bytes) { POOL.setMaxFreeBytes(bytes); }

    /**
     * Closes every free buffer of the shared pool. Training loops call it when they stop: the buffers fit the training
     * step's shapes, and what follows (checkpoints, figures, evaluation) would otherwise run with them still held and
     * raise the run's peak.
     */
    public static synchronized void releaseFreeBuffers() { POOL.releaseFree(); }

    private static int lastBatchSize = -1;

    /**
     * Training loops call this before each step, and {@link #outputs} before each forward call: a batch of another
     * size than the last (an epoch's last, smaller batch, and the full batch after it; figures after training) empties
     * the pool, whose buffers fit the old size; kept beside a whole step of fresh ones they raise the peak.
     */
    public static synchronized void beginBatch(int batchSize) {
        if (batchSize != lastBatchSize) POOL.releaseFree();
        lastBatchSize = batchSize;
    }

    /** The shared pool's counters: allocations served by reuse and allocated afresh (for benchmarks and tests). */
    public static synchronized long[] poolCounts() { return new long[]{POOL.reusedCount(), POOL.allocatedCount()}; }

    /**
     * Hands arrays the caller owns and no longer needs (results of an earlier call) back to the shared pool, where
     * the next call reuses their buffers; past the pool's bound they are closed. Views and arrays already
     * closed are skipped. Do not touch the arrays afterwards.
     */
    public static synchronized void recycle(Collection<INDArray> arrays) {
        for (INDArray a : arrays) POOL.release(a); // the pool ignores views, closed arrays and repeats
    }

    /** The graph's session on this thread, made to allocate from and release into the shared pool. */
    private static InferenceSession cachedSession(SameDiff graph) {
        InferenceSession session = graph.getSessions()
                .computeIfAbsent(Thread.currentThread().getId(), k -> new InferenceSession(graph));
        if (session.getMmgr() != POOL) {
            var previous = session.getMmgr();
            session.setMmgr(POOL);
            if (previous != null) previous.close(); // only SameDiff's cached (unused) arrays live there
        }
        return session;
    }

    /**
     * Releases (to the shared pool, or closes) every array a finished call left in {@code session}. SameDiff (M2.1) keeps each call's values, activations
     * and gradients alike, in the session until the next call on it overwrites them, and frees them only when the
     * garbage collector finds them; with one graph per module, every module's state would so stay alive during the
     * whole step. Kept: the given arrays (results, fed inputs), the graphs' variables and constants, and anything
     * sharing a buffer with them; views are never closed themselves (their base is).
     */
    public static synchronized void releaseSessionArrays(InferenceSession session, Collection<INDArray> keep, SameDiff... graphs) {
        Set<Long> kept = protectedRoots(keep, graphs);
        var values = session.getNodeValueOutputs();
        for (SDValue value : values.values()) {
            INDArray a = value == null ? null : value.getTensorValue();
            if (a == null || a.wasClosed() || a.isView() || !a.closeable() || kept.contains(rootAddress(a))) continue;
            POOL.release(a);
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
