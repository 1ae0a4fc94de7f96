package featurealign.train;

import featurealign.experiment.Inspection;
import featurealign.nn.GraphCalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Freeing intermediates during gradient calls, and reusing released buffers from the shared pool, must not change a
 * single bit of training: identical models trained with the release or the reuse off and on end equal to the last bit
 * (a reused buffer holds the last call's values, so an op that relied on a zero-filled output would show here).
 */
class GradientCallReleaseTest {

    @AfterEach
    void restoreDefault() {
        GraphCalls.setReleaseInGradientCalls(true);
        GraphCalls.setArrayPoolBytes(GraphCalls.ARRAY_POOL_BYTES);
    }

    @Test
    void trainingIsBitForBitTheSameWithAndWithoutRelease() {
        RunConfig config = TinyRuns.tinyConfig(4, 0);
        Map<String, INDArray> kept = train(config, false);
        Map<String, INDArray> freed = train(config, true);
        assertTrue(GraphCalls.releasedInLastGradientCall() > 0, "the release ran and freed something");
        assertBitEqual(kept, freed, "the release on");
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
        GraphCalls.setReleaseInGradientCalls(release);
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
