package featurealign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchesTest {
    @Test
    void mnistShapeKeepsTheLastPartialBatch() {
        Batches batches = new Batches(60_000, 128, 1, false);
        assertEquals(469, batches.batchesPerEpoch());
        List<int[]> epoch = batches.epoch(0);
        assertEquals(469, epoch.size());
        assertEquals(96, epoch.get(468).length);
        assertEquals(128, epoch.get(0).length);
        // Every position exactly once.
        int[] all = epoch.stream().flatMapToInt(Arrays::stream).sorted().toArray();
        int[] expected = new int[60_000];
        Arrays.setAll(expected, k -> k);
        assertArrayEquals(expected, all);
    }

    @Test
    void cifarShapeAndDropLast() {
        assertEquals(391, new Batches(50_000, 128, 1, false).batchesPerEpoch());
        Batches dropped = new Batches(50_000, 128, 1, true);
        assertEquals(390, dropped.batchesPerEpoch());
        assertEquals(390, dropped.epoch(3).size());
        assertEquals(128, dropped.epoch(3).get(389).length);
    }

    @Test
    void deterministicPerSeedAndEpoch() {
        Batches a = new Batches(1000, 32, 42, false);
        Batches b = new Batches(1000, 32, 42, false);
        assertArrayEquals(a.order(5), b.order(5));
        assertFalse(Arrays.equals(a.order(5), a.order(6)), "epochs must differ");
        assertFalse(Arrays.equals(a.order(5), new Batches(1000, 32, 43, false).order(5)), "seeds must differ");
        int[] identity = new int[1000];
        Arrays.setAll(identity, k -> k);
        assertFalse(Arrays.equals(identity, a.order(0)), "the order must be shuffled");
    }

    @Test
    void edgeCasesAndBadArguments() {
        assertEquals(0, new Batches(0, 8, 1, false).epoch(0).size());
        assertEquals(0, new Batches(5, 8, 1, true).batchesPerEpoch());
        assertEquals(1, new Batches(5, 8, 1, false).epoch(0).size());
        assertThrows(IllegalArgumentException.class, () -> new Batches(10, 0, 1, false));
        assertThrows(IllegalArgumentException.class, () -> new Batches(-1, 4, 1, false));
        assertThrows(IllegalArgumentException.class, () -> new Batches(10, 4, 1, false).epoch(-1));
    }
}
