package featurealign.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import static org.junit.jupiter.api.Assertions.*;

class ChecksumsTest {
    @TempDir
    Path tmp;

    @Test
    void aSameSizeRewriteWithinTheTimestampGranularityIsHashedAgain() throws IOException {
        Path f = tmp.resolve("a.bin");
        Files.write(f, new byte[]{1, 2, 3, 4});
        FileTime t = Files.getLastModifiedTime(f);
        String first = Checksums.of(f, "SHA-256");
        Files.write(f, new byte[]{4, 3, 2, 1});
        Files.setLastModifiedTime(f, t); // same size, same timestamp: a memo keyed on them alone would be stale
        assertNotEquals(first, Checksums.of(f, "SHA-256"));
        assertEquals(Checksums.of(new byte[]{4, 3, 2, 1}, "SHA-256"), Checksums.of(f, "SHA-256"));
    }

    @Test
    void anOldFileIsRememberedAndAChangedOneIsNot() throws IOException {
        Path f = tmp.resolve("b.bin");
        Files.write(f, new byte[]{9, 9});
        Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        assertEquals(Checksums.of(new byte[]{9, 9}, "MD5"), Checksums.of(f, "MD5"));
        Files.write(f, new byte[]{8, 8, 8}); // new size and time: a new key, hashed afresh
        assertEquals(Checksums.of(new byte[]{8, 8, 8}, "MD5"), Checksums.of(f, "MD5"));
    }
}
