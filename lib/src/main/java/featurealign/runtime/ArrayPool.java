package featurealign.runtime;

import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded pool of released buffers that SameDiff sessions allocate op outputs from, reusing a buffer of the same
 * data type and length for any shape. SameDiff M2.1's own {@code ArrayCacheMemoryMgr} closes every released array
 * whose native use count is above 1, which is true of almost every op output (their op contexts still refer to them),
 * so it reuses few arrays and a step allocates, zero-fills and page-faults most of its buffers afresh
 * (docs/performance.md, "Native memory").
 * <p>
 * Safe against the two ways a released array can come back: a second release of the same array (ignored) and a late
 * release of an array object whose buffer was already handed out again under a new array (ignored: each buffer
 * remembers the id of the array it was last handed out as). Buffers handed out are held only weakly, so an array the
 * caller drops is freed by ND4J as usual. Free buffers past {@link #maxFreeBytes()} are closed, least recently
 * released first. Its methods are synchronized: a session used outside {@link NativeMemory} (which runs calls one at
 * a time) on another thread cannot corrupt it.
 */
public final class ArrayPool extends AbstractMemoryMgr {

    /** A buffer known to the pool: free (held strongly) or handed out as the array with id {@code issuedId}. */
    private static final class Entry {
        final long bytes;
        final DataType dataType;
        INDArray free;                 // the released array holding the buffer while free, else null
        WeakReference<DataBuffer> out; // the buffer while handed out
        long issuedId = -1;

        Entry(long bytes, DataType dataType) { this.bytes = bytes; this.dataType = dataType; }

        DataBuffer buffer() { return free != null ? free.data() : out == null ? null : out.get(); }
    }

    private record Key(DataType dataType, long bytes) {}

    private long maxFreeBytes;
    private final Map<Long, Entry> byAddress = new HashMap<>();
    private final Map<Key, ArrayDeque<Entry>> freeByKey = new HashMap<>();
    /** Free entries, least recently released first (for eviction). */
    private final LinkedHashMap<Entry, Boolean> freeOrder = new LinkedHashMap<>();
    private long freeBytes;
    private long reused, allocated;

    /** @param maxFreeBytes the most bytes of free buffers kept for reuse; 0 closes every released array at once */
    public ArrayPool(long maxFreeBytes) {
        if (maxFreeBytes < 0) throw new IllegalArgumentException("pool size must be >= 0 bytes, got " + maxFreeBytes);
        this.maxFreeBytes = maxFreeBytes;
    }

    public synchronized long maxFreeBytes() { return maxFreeBytes; }

    /** Changes the bound; free buffers beyond it are closed at once. */
    public synchronized void setMaxFreeBytes(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("pool size must be >= 0 bytes, got " + bytes);
        maxFreeBytes = bytes;
        evictBeyond(bytes);
    }

    /** Bytes of free buffers held right now. */
    public synchronized long freeBytes() { return freeBytes; }

    /** Allocations served from the pool and allocated afresh since the pool was made (for benchmarks and tests). */
    public synchronized long reusedCount() { return reused; }

    public synchronized long allocatedCount() { return allocated; }

    @Override
    public synchronized INDArray allocate(boolean detached, DataType dataType, long... shape) {
        return allocate(dataType, shape, 'c');
    }

    @Override
    public synchronized INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
        if (descriptor.isEmpty()) return Nd4j.create(descriptor); // empty arrays own no buffer
        return allocate(descriptor.dataType(), descriptor.getShape(), descriptor.getOrder());
    }

    private INDArray allocate(DataType dataType, long[] shape, char order) {
        long length = 1;
        for (long d : shape) length *= d;
        ArrayDeque<Entry> free = length == 0 ? null : freeByKey.get(new Key(dataType, length * dataType.width()));
        while (free != null && !free.isEmpty()) {
            Entry e = free.pollLast(); // the most recently released: likeliest still in cache
            freeOrder.remove(e);
            freeBytes -= e.bytes;
            DataBuffer buffer = e.free.data();
            e.free = null;
            if (buffer == null || buffer.wasClosed()) { // closed behind the pool's back
                byAddress.values().remove(e);
                continue;
            }
            INDArray a = Nd4j.create(buffer, shape, Nd4j.getStrides(shape, order), 0, order, dataType);
            e.out = new WeakReference<>(buffer);
            e.issuedId = a.getId();
            reused++;
            return a;
        }
        allocated++;
        return Nd4j.createUninitializedDetached(dataType, order, shape);
    }

    @Override
    public synchronized void release(INDArray a) {
        if (a == null || a.wasClosed() || a.isView() || !a.closeable() || a.isEmpty()) return;
        DataBuffer buffer = a.data();
        if (buffer.originalDataBuffer() != null && buffer.originalDataBuffer() != buffer) return; // a view's buffer
        long address = buffer.address();
        Entry e = byAddress.get(address);
        if (e != null && e.buffer() == buffer) {
            if (e.free != null || e.issuedId != a.getId()) return; // released twice, or a stale array object
        } else {
            // Unknown to the pool, or an entry left from a freed buffer whose address malloc gave out again.
            e = new Entry(buffer.length() * buffer.getElementSize(), a.dataType());
            byAddress.put(address, e);
        }
        if (maxFreeBytes <= 0 || e.bytes > maxFreeBytes) {
            byAddress.remove(address);
            a.close();
            return;
        }
        e.free = a;
        e.out = null;
        freeByKey.computeIfAbsent(new Key(e.dataType, e.bytes), k -> new ArrayDeque<>()).addLast(e);
        freeOrder.put(e, Boolean.TRUE);
        freeBytes += e.bytes;
        evictBeyond(maxFreeBytes);
        if (byAddress.size() > 4 * (freeOrder.size() + 256)) pruneHandedOut();
    }

    /** Whether {@code a}'s buffer is free in the pool right now (for tests and release bookkeeping). */
    public synchronized boolean holds(INDArray a) {
        if (a == null || a.wasClosed()) return false;
        Entry e = byAddress.get(a.data().address());
        return e != null && e.free != null && e.free.data() == a.data();
    }

    private void evictBeyond(long limit) {
        Iterator<Entry> it = freeOrder.keySet().iterator();
        while (freeBytes > limit && it.hasNext()) {
            Entry e = it.next();
            it.remove();
            freeByKey.get(new Key(e.dataType, e.bytes)).remove(e);
            freeBytes -= e.bytes;
            INDArray a = e.free;
            e.free = null;
            byAddress.remove(a.data().address());
            if (!a.wasClosed()) a.close();
        }
    }

    /** Forgets handed-out buffers that ND4J has freed since (their arrays were dropped or closed). */
    private void pruneHandedOut() {
        byAddress.values().removeIf(e -> {
            if (e.free != null) return false;
            DataBuffer b = e.out == null ? null : e.out.get();
            return b == null || b.wasClosed();
        });
    }

    /**
     * Closes every free buffer; the bound stays. Handed-out buffers stay tracked, so a late release of a stale array
     * is still recognised afterwards.
     */
    public synchronized void releaseFree() { evictBeyond(0); }

    /** Closes every free buffer (SameDiff calls this when a session replaces its memory manager). */
    @Override
    public synchronized void close() { releaseFree(); }
}
