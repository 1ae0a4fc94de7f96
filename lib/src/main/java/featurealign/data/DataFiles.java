package featurealign.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Small file helpers shared by readers and the store (package-private). */
final class DataFiles {
    /** Largest byte[] the JVM reliably allocates. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 16;

    private DataFiles() {
    }

    /** True when the file starts with the gzip magic bytes 1f 8b (detected by content, not by name). */
    static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file, "file not found", e);
        }
    }

    /** Opens the file, transparently gunzipping when it is gzip data. */
    static InputStream open(Path file) throws IOException {
        boolean gz = isGzip(file);
        InputStream raw = Files.newInputStream(file);
        if (!gz) {
            return raw;
        }
        try {
            return new GZIPInputStream(raw, 1 << 16);
        } catch (IOException e) {
            raw.close();
            throw new DataFormatException(file, "corrupt gzip header (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Reads exactly {@code count} bytes. The buffer grows as data arrives (up to {@code count}), so a header that
     * claims a huge size cannot make us allocate memory the file does not back.
     */
    static byte[] readExactly(InputStream in, Path file, long count, String what) throws IOException {
        if (count > MAX_ARRAY) {
            throw new DataFormatException(file, what + " needs " + count + " bytes, more than one Java array holds ("
                    + MAX_ARRAY + ")");
        }
        int total = (int) count;
        byte[] buffer = new byte[Math.min(total, 1 << 24)];
        int filled = 0;
        try {
            while (filled < total) {
                if (filled == buffer.length) {
                    buffer = Arrays.copyOf(buffer, (int) Math.min(total, 2L * buffer.length));
                }
                int n = in.read(buffer, filled, buffer.length - filled);
                if (n < 0) {
                    throw new DataFormatException(file, "truncated: expected " + count + " bytes of " + what
                            + ", found only " + filled);
                }
                filled += n;
            }
        } catch (ZipException | EOFException e) {
            throw new DataFormatException(file, "corrupt gzip data while reading " + what + " (" + e.getMessage()
                    + ")", e);
        }
        return buffer;
    }

    /** Fails when the stream still has bytes: the file is longer than its header says. */
    static void expectEnd(InputStream in, Path file, long expectedLength) throws IOException {
        int next;
        try {
            next = in.read();
        } catch (ZipException | EOFException e) {
            throw new DataFormatException(file, "corrupt gzip data after " + expectedLength + " bytes ("
                    + e.getMessage() + ")", e);
        }
        if (next >= 0) {
            throw new DataFormatException(file, "extra bytes: header implies " + expectedLength
                    + " bytes (uncompressed), but the file has more");
        }
    }

    /** Writes bytes to a temp file beside {@code target}, then renames it atomically over the target. */
    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
