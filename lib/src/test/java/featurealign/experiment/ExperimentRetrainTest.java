package featurealign.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import featurealign.train.Progress;
import featurealign.train.RunConfig;
import featurealign.train.TinyRuns;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Re-running a notebook's training cell on the same Experiment. */
class ExperimentRetrainTest {

    @Test
    void aSecondTrainCallReplacesTheFirstCallsProgressListener(@TempDir Path dir) throws Exception {
        RunConfig cfg = TinyRuns.tinyConfig(5, 5).withArchitecture(TinyRuns.TINY.withConditioning(0));
        Experiment e = Experiment.open(cfg, dir, TinyRuns.squares(32, 1), TinyRuns.squares(16, 2));
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        // The first run of the cell stops after its first step (as when the user interrupts it) ...
        List<Long> first = new ArrayList<>();
        Progress.Listener interrupted = report -> {
            first.add(report.step());
            throw new IllegalStateException("interrupted");
        };
        assertThrows(IllegalStateException.class, () -> e.train(quiet, interrupted));
        // ... and the re-run must report each remaining step once, to its own listener only.
        List<Long> second = new ArrayList<>();
        e.train(quiet, report -> second.add(report.step()));
        assertEquals(List.of(1L), first, "the first listener must not hear about the re-run");
        assertEquals(List.of(2L, 3L, 4L, 5L), second);
    }
}
