package featurealign.runtime;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.*;

class ArrayPoolTest {

    @Test
    void aReleasedBufferServesTheNextRequestOfTheSameTypeAndLengthInAnyShape() {
        ArrayPool pool = new ArrayPool(1 << 20);
        INDArray a = pool.allocate(false, DataType.FLOAT, 4, 6);
        pool.release(a);
        assertEquals(96, pool.freeBytes());
        INDArray b = pool.allocate(false, DataType.FLOAT, 2, 3, 4);
        assertSame(a.data(), b.data(), "same buffer");
        assertArrayEquals(new long[]{2, 3, 4}, b.shape());
        assertFalse(b.isView());
        assertEquals(1, pool.reusedCount());
        assertEquals(0, pool.freeBytes());
        INDArray c = pool.allocate(false, DataType.DOUBLE, 12); // same bytes, other type: fresh
        assertNotSame(a.data(), c.data());
        assertEquals(1, pool.reusedCount());
        b.assign(2.0);
        assertEquals(48.0, b.sumNumber().doubleValue(), 0.0, "the reused buffer is a working array");
    }

    @Test
    void repeatedAndStaleReleasesAreIgnored() {
        ArrayPool pool = new ArrayPool(1 << 20);
        INDArray a = pool.allocate(false, DataType.FLOAT, 10);
        pool.release(a);
        pool.release(a);
        assertEquals(40, pool.freeBytes(), "a second release of the same array adds nothing");
        INDArray b = pool.allocate(false, DataType.FLOAT, 10);
        pool.release(a); // a's buffer now belongs to b: releasing the old array object must not free it
        assertEquals(0, pool.freeBytes());
        assertNotSame(b.data(), pool.allocate(false, DataType.FLOAT, 10).data(), "b's buffer was not handed out twice");
        pool.release(b);
        assertTrue(pool.holds(b));
    }

    @Test
    void viewsClosedAndEmptyArraysAreNotTaken() {
        ArrayPool pool = new ArrayPool(1 << 20);
        INDArray base = Nd4j.create(DataType.FLOAT, 4, 4);
        pool.release(base.getRow(1));
        INDArray closed = Nd4j.create(DataType.FLOAT, 4);
        closed.close();
        pool.release(closed);
        pool.release(Nd4j.empty(DataType.FLOAT));
        assertEquals(0, pool.freeBytes());
        assertFalse(base.wasClosed());
    }

    @Test
    void freeBuffersBeyondTheBoundAreClosedLeastRecentlyReleasedFirst() {
        ArrayPool pool = new ArrayPool(100);
        INDArray a = Nd4j.create(DataType.FLOAT, 10), b = Nd4j.create(DataType.FLOAT, 10), c = Nd4j.create(DataType.FLOAT, 10);
        pool.release(a);
        pool.release(b);
        pool.release(c); // 120 bytes > 100: a goes
        assertEquals(80, pool.freeBytes());
        assertTrue(a.wasClosed());
        assertFalse(b.wasClosed());
        assertTrue(pool.holds(b) && pool.holds(c));
        INDArray big = Nd4j.create(DataType.FLOAT, 100);
        pool.release(big); // larger than the whole bound: closed at once
        assertTrue(big.wasClosed());
        pool.setMaxFreeBytes(0);
        assertEquals(0, pool.freeBytes());
        assertTrue(b.wasClosed() && c.wasClosed());
    }

    @Test
    void aBufferClosedBehindThePoolsBackIsNeverHandedOut() {
        ArrayPool pool = new ArrayPool(1 << 20);
        INDArray a = Nd4j.create(DataType.FLOAT, 8);
        pool.release(a);
        a.close();
        INDArray b = pool.allocate(false, DataType.FLOAT, 8);
        assertFalse(b.wasClosed());
        assertEquals(0, pool.reusedCount());
        b.assign(1.0);
        assertEquals(8.0, b.sumNumber().doubleValue(), 0.0);
    }

    @Test
    void releaseFreeClosesFreeBuffersButKeepsTheBoundAndTracksHandedOutOnes() {
        ArrayPool pool = new ArrayPool(1 << 20);
        INDArray a = pool.allocate(false, DataType.FLOAT, 10);
        pool.release(a);
        INDArray b = pool.allocate(false, DataType.FLOAT, 10); // a's buffer, handed out as b
        INDArray c = Nd4j.create(DataType.FLOAT, 10);
        pool.release(c);
        pool.releaseFree();
        assertTrue(c.wasClosed());
        assertEquals(0, pool.freeBytes());
        assertEquals(1 << 20, pool.maxFreeBytes());
        pool.release(a); // stale: b still owns the buffer
        assertEquals(0, pool.freeBytes());
        pool.release(b);
        assertEquals(40, pool.freeBytes(), "the bound still lets buffers in");
    }

    @Test
    void aNegativeBoundIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ArrayPool(-1));
    }
}
