package featurealign.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import featurealign.data.ImageSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user reads when a checkpoint cannot be used: the file and the problem, complete, with no Java class. */
public class CheckpointMessageTest {

    /** A checkpoint of a one-step tiny run cut to {@code keep} of its bytes. */
    public static Path truncatedCheckpoint(Path dir, double keep) throws IOException {
        ImageSet data = TinyRuns.squares(16, 1);
        FaTrainer t = new FaTrainer(TinyRuns.tinyConfig(1, 1), data);
        t.train();
        Path file = dir.resolve("checkpoint.zip");
        t.saveCheckpoint(file);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, (int) (bytes.length * keep)));
        return file;
    }

    @Test
    void aTruncatedCheckpointIsNamedAndCalledTruncated(@TempDir Path dir) throws IOException {
        for (double keep : new double[]{0.5, 0.99, 0.0}) {
            Path file = truncatedCheckpoint(dir, keep);
            String m = assertThrows(Checkpoint.CheckpointException.class,
                    () -> FaTrainer.resume(file, TinyRuns.squares(16, 1))).getMessage();
            assertTrue(m.startsWith(file + ": not a complete checkpoint ("), m);
            assertTrue(m.contains("truncated") && m.contains("delete it to start the run again"), m);
            assertFalse(m.contains("Exception") || m.contains("null"), m);
        }
    }
}
