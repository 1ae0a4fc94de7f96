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
 * Freeing intermediates during gradient calls (and reusing their buffers from the shared cache) must not change a
 * single bit of training: two identical models, one trained with the release off and one with it on, end equal.
 */
class GradientCallReleaseTest {

    @AfterEach
    void restoreDefault() { GraphCalls.setReleaseInGradientCalls(true); }

    @Test
    void trainingIsBitForBitTheSameWithAndWithoutRelease() {
        RunConfig config = TinyRuns.tinyConfig(4, 0);
        Map<String, INDArray> kept = train(config, false);
        Map<String, INDArray> freed = train(config, true);
        assertTrue(GraphCalls.releasedInLastGradientCall() > 0, "the release ran and freed something");
        assertEquals(kept.keySet(), freed.keySet());
        for (String name : kept.keySet()) {
            assertEquals(kept.get(name), freed.get(name), "parameter " + name + " differs with the release on");
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
