package featurealign.train;

import featurealign.experiment.Inspection;
import featurealign.runtime.NativeMemory;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Freeing intermediates during gradient and forward calls, and reusing released buffers from a model's pool, must not
 * change a single bit: identical models trained with the release or the reuse off and on end equal to the last bit, and
 * so do their samples (a reused buffer holds the last call's values, so an op that relied on a zero-filled output would
 * show here).
 */
class CallReleaseTest {

    @Test
    void trainingIsBitForBitTheSameWithAndWithoutRelease() {
        RunConfig config = TinyRuns.tinyConfig(4, 0);
        Map<String, INDArray> kept = train(new FaModel(config), false, -1);
        FaModel freedModel = new FaModel(config);
        Map<String, INDArray> freed = train(freedModel, true, -1);
        assertTrue(freedModel.memory().releasedInLastCall() > 0, "the release ran and freed something");
        assertBitEqual(kept, freed, "the release on");
    }

    @Test
    void samplesAreBitForBitTheSameWithAndWithoutReleaseInForwardCalls() {
        RunConfig config = TinyRuns.tinyConfig(4, 0);
        FaModel model = new FaModel(config);
        NativeMemory memory = model.memory();
        INDArray labels = Inspection.cyclingLabels(6, 3, DataType.FLOAT);
        memory.setReleaseInCalls(false);
        INDArray kept = model.refine(model.sample(6, labels, new Noise(5)), labels);
        memory.setReleaseInCalls(true);
        INDArray xhat = model.sample(6, labels, new Noise(5));
        assertTrue(memory.releasedInLastCall() > 0, "the release ran in the alignment's forward call");
        INDArray freed = model.refine(xhat, labels);
        assertTrue(memory.releasedInLastCall() > 0, "the release ran in the generator's forward call");
        assertArrayEquals(kept.data().asDouble(), freed.data().asDouble(), 0.0, "samples differ with the release on");
    }

    @Test
    void trainingIsBitForBitTheSameWithAndWithoutBufferReuse() {
        RunConfig config = TinyRuns.tinyConfig(4, 0);
        Map<String, INDArray> fresh = train(new FaModel(config), true, 0);
        FaModel pooled = new FaModel(config);
        Map<String, INDArray> reused = train(pooled, true, 256L << 20);
        assertTrue(pooled.memory().poolCounts()[0] > 100, "the pooled run reused buffers");
        assertBitEqual(fresh, reused, "buffer reuse on");
    }

    @Test
    void twoModelsHaveTheirOwnMemory() {
        RunConfig config = TinyRuns.tinyConfig(4, 0);
        FaModel a = new FaModel(config), b = new FaModel(config);
        assertNotSame(a.memory(), b.memory());
        train(a, true, -1);
        assertEquals(0, b.memory().poolCounts()[0] + b.memory().poolCounts()[1], "b's memory served none of a's calls");
    }

    private static void assertBitEqual(Map<String, INDArray> expected, Map<String, INDArray> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name).data().asDouble(), actual.get(name).data().asDouble(), 0.0,
                    "parameter " + name + " differs with " + what);
        }
    }

    /** Four training steps of {@code model}, with the release on or off and a pool bound in bytes (−1: the default). */
    private static Map<String, INDArray> train(FaModel model, boolean release, long poolBytes) {
        model.memory().setReleaseInCalls(release);
        if (poolBytes >= 0) model.memory().setArrayPoolBytes(poolBytes);
        Noise noise = new Noise(11);
        INDArray x = TinyRuns.squares(8, 3).toFloatNCHW();
        INDArray y = Inspection.cyclingLabels(8, 3, DataType.FLOAT);
        for (int step = 1; step <= 4; step++) model.trainStep(x, y, true, noise, step);
        Map<String, INDArray> state = new java.util.LinkedHashMap<>();
        model.stateArrays().forEach((k, v) -> state.put(k, v.dup()));
        return state;
    }
}
