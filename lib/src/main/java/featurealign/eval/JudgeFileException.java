package featurealign.eval;

import java.io.IOException;
import java.nio.file.Path;

/** A judge file that cannot be used: not a judge file, another format version, truncated, corrupt or inconsistent. */
public final class JudgeFileException extends IOException {

    private final Path file;

    public JudgeFileException(Path file, String problem) {
        super("judge file " + file + ": " + problem);
        this.file = file;
    }

    public JudgeFileException(Path file, String problem, Throwable cause) {
        super("judge file " + file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() { return file; }
}
