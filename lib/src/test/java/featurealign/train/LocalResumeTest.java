package featurealign.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;

import static featurealign.train.LocalTestNets.*;
import static org.junit.jupiter.api.Assertions.*;

/** Local training resumes exactly: 2N steps equal N steps, a checkpoint, a fresh trainer restored from it, N steps. */
class LocalResumeTest {

    @Test
    void resumingContinuesExactly(@TempDir Path dir) throws Exception {
        int n = 3;
        LocalTraining straight = LocalTraining.builder(twoStage()).seed(4).adam(new Adam(1e-2, 0.9, 0.999, 1e-8)).build();
        for (int i = 0; i < 2 * n; i++) straight.run(uniformImages(i, DataType.FLOAT, 8, 1, 8, 8));

        LocalTraining first = LocalTraining.builder(twoStage()).seed(4).adam(new Adam(1e-2, 0.9, 0.999, 1e-8)).build();
        for (int i = 0; i < n; i++) first.run(uniformImages(i, DataType.FLOAT, 8, 1, 8, 8));
        Path file = dir.resolve("local.zip");
        first.saveCheckpoint(file);

        LocalTraining resumed = LocalTraining.builder(twoStage()).seed(99).adam(new Adam(1e-2, 0.9, 0.999, 1e-8)).build();
        resumed.restore(file);
        assertEquals(n, resumed.optimizer().step());
        for (int i = n; i < 2 * n; i++) resumed.run(uniformImages(i, DataType.FLOAT, 8, 1, 8, 8));
        for (var e : straight.parameters().entrySet()) {
            INDArray other = resumed.parameters().get(e.getKey());
            assertTrue(e.getValue().sub(other).amaxNumber().doubleValue() <= 1e-6, e.getKey() + " differs after resume");
        }

        LocalTraining otherSettings = LocalTraining.builder(twoStage()).seed(4).alignmentSteps(2).build();
        var err = assertThrows(Checkpoint.CheckpointException.class, () -> otherSettings.restore(file));
        assertTrue(err.getMessage().contains("other local-training settings"), err.getMessage());
    }
}
