package featurealign.data;

import java.nio.file.Path;

/** A file's checksum is not the expected one; the message gives file, algorithm, expected and actual digest. */
public class ChecksumMismatchException extends DataFormatException {
    private final String expected;
    private final String actual;

    public ChecksumMismatchException(Path file, String algorithm, String expected, String actual) {
        super(file, algorithm + " checksum mismatch: expected " + expected + ", actual " + actual);
        this.expected = expected;
        this.actual = actual;
    }

    /** The expected digest (lower-case hex; may describe several accepted digests). */
    public String expected() {
        return expected;
    }

    /** The digest actually computed (lower-case hex). */
    public String actual() {
        return actual;
    }
}
