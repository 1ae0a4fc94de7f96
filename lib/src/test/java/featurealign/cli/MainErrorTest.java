package featurealign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import featurealign.train.Checkpoint;
import featurealign.train.CheckpointMessageTest;
import featurealign.train.FaTrainer;
import featurealign.train.TinyRuns;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line prints an error's message, not the exception's class. */
class MainErrorTest {

    @Test
    void aDamagedCheckpointIsReportedByFileAndProblem(@TempDir Path dir) throws Exception {
        Path file = CheckpointMessageTest.truncatedCheckpoint(dir, 0.5);
        Checkpoint.CheckpointException e = assertThrows(Checkpoint.CheckpointException.class,
                () -> FaTrainer.resume(file, TinyRuns.squares(16, 1)));
        assertEquals("error: " + e.getMessage(), Main.errorLine(e));
        assertEquals("error: " + file + ": not a complete checkpoint", Main.errorLine(e).substring(0,
                ("error: " + file + ": not a complete checkpoint").length()));
        assertEquals("error: java.lang.NullPointerException", Main.errorLine(new NullPointerException()));
    }
}
