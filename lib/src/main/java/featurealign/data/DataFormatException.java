package featurealign.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The one exception type of the data package: every reader and store error is this type or a subclass.
 * The message always starts with the file (or directory) concerned and says what was expected and what was
 * found, so that a user can fix the input without a debugger.
 */
public class DataFormatException extends IOException {
    private final Path file;

    /**
     * @param file   the file or directory the problem is in (may be null only when no file is involved)
     * @param detail what was expected and what was found
     */
    public DataFormatException(Path file, String detail) {
        super(file == null ? detail : file + ": " + detail);
        this.file = file;
    }

    /** Same as {@link #DataFormatException(Path, String)}, keeping the low-level cause. */
    public DataFormatException(Path file, String detail, Throwable cause) {
        super(file == null ? detail : file + ": " + detail, cause);
        this.file = file;
    }

    /** The file or directory the problem is in, or null. */
    public Path file() {
        return file;
    }
}
