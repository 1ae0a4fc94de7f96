package featurealign.train;

import featurealign.experiment.Inspection;
import featurealign.runtime.GraphCalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Freeing intermediates during gradient and forward calls, and reusing released buffers from the shared pool, must not
 * change a single bit: identical models trained with the release or the reuse off and on end equal to the last bit, and
 * so do their samples (a reused buffer holds the last call's values, so an op that relied on a zero-filled output would
 * show here).
 */
class CallReleaseTest {

    @AfterEach
    void restoreDefault() {
        GraphCalls.setReleaseInCalls(true);
        GraphCalls.setArrayPoolBytes(GraphCalls.ARRAY_POOL_BYTES);
    }

    @Test
    void trainingIsBitForBitTheSameWithAndWithoutRelease() {
        RunConfig config = TinyRuns.tinyConfig(4, 0);
        Map<String, INDArray> kept = train(config, false);
        Map<String, INDArray> freed = train(config, true);
        assertTrue(GraphCalls.releasedInLastCall() > 0, "the release ran and freed something");
        assertBitEqual(kept, freed, "the release on");
    }

    @Test
    void samplesAreBitForBitTheSameWithAndWithoutReleaseInForwardCalls() {
        RunConfig config = TinyRuns.tinyConfig(4, 0);
        GraphCalls.setReleaseInCalls(true);
        FaModel model = new FaModel(config);
        INDArray labels = Inspection.cyclingLabels(6, 3, DataType.FLOAT);
        GraphCalls.setReleaseInCalls(false);
        INDArray kept = model.refine(model.sample(6, labels, new Noise(5)), labels);
        GraphCalls.setReleaseInCalls(true);
        INDArray xhat = model.sample(6, labels, new Noise(5));
        assertTrue(GraphCalls.releasedInLastCall() > 0, "the release ran in the alignment's forward call");
        INDArray freed = model.refine(xhat, labels);
        assertTrue(GraphCalls.releasedInLastCall() > 0, "the release ran in the generator's forward call");
        assertArrayEquals(kept.data().asDouble(), freed.data().asDouble(), 0.0, "samples differ with the release on");
    }

    @Test
    void trainingIsBitForBitTheSameWithAndWithoutBufferReuse() {
        RunConfig config = TinyRuns.tinyConfig(4, 0);
        GraphCalls.setArrayPoolBytes(0);
        Map<String, INDArray> fresh = train(config, true);
        long reusedBefore = GraphCalls.poolCounts()[0];
        GraphCalls.setArrayPoolBytes(256L << 20);
        Map<String, INDArray> reused = train(config, true);
        assertTrue(GraphCalls.poolCounts()[0] - reusedBefore > 100, "the pooled run reused buffers");
        assertBitEqual(fresh, reused, "buffer reuse on");
    }

    private static void assertBitEqual(Map<String, INDArray> expected, Map<String, INDArray> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name).data().asDouble(), actual.get(name).data().asDouble(), 0.0,
                    "parameter " + name + " differs with " + what);
        }
    }

    private static Map<String, INDArray> train(RunConfig config, boolean release) {
        GraphCalls.setReleaseInCalls(release);
        FaModel model = new FaModel(config);
        Noise noise = new Noise(11);
        INDArray x = TinyRuns.squares(8, 3).toFloatNCHW();
        INDArray y = Inspection.cyclingLabels(8, 3, DataType.FLOAT);
        for (int step = 1; step <= 4; step++) model.trainStep(x, y, true, noise, step);
        Map<String, INDArray> state = new java.util.LinkedHashMap<>();
        model.stateArrays().forEach((k, v) -> state.put(k, v.dup()));
        return state;
    }
}
