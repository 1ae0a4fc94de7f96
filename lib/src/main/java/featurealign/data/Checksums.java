package featurealign.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MD5 / SHA-256 digests of files as lower-case hex. Results are remembered per (path, size, modification time)
 * for the life of the JVM, so verifying the same data set twice costs one hashing pass. A file modified less than
 * {@link #RACY_MILLIS} before it was hashed is not remembered: a rewrite of the same size within the file system's
 * timestamp granularity (milliseconds on ext4) would otherwise keep its old digest (git's "racy timestamp" problem).
 */
public final class Checksums {
    private static final Map<String, String> MEMO = new ConcurrentHashMap<>();
    static final long RACY_MILLIS = 2_000;

    private Checksums() {
    }

    /** "MD5" or "SHA-256" digest of the file's bytes. */
    public static String of(Path file, String algorithm) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        String key = algorithm + '|' + file.toAbsolutePath().normalize() + '|' + attrs.size() + '|'
                + attrs.lastModifiedTime().toMillis();
        String known = MEMO.get(key);
        if (known != null) {
            return known;
        }
        String hex;
        try (InputStream in = Files.newInputStream(file)) {
            hex = of(in, algorithm);
        }
        remember(key, attrs, hex);
        return hex;
    }

    /** Digest of everything left in the stream (the stream is read to its end, not closed). */
    public static String of(InputStream in, String algorithm) throws IOException {
        MessageDigest digest = newDigest(algorithm);
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Digest of a byte array. */
    public static String of(byte[] bytes, String algorithm) {
        return HexFormat.of().formatHex(newDigest(algorithm).digest(bytes));
    }

    /** MD5 of the gunzipped content of a gzip file. */
    static String ofGunzipped(Path gzFile, String algorithm) throws IOException {
        String key = "gunzip-" + algorithm;
        BasicFileAttributes attrs = Files.readAttributes(gzFile, BasicFileAttributes.class);
        String memoKey = key + '|' + gzFile.toAbsolutePath().normalize() + '|' + attrs.size() + '|'
                + attrs.lastModifiedTime().toMillis();
        String known = MEMO.get(memoKey);
        if (known != null) {
            return known;
        }
        String hex;
        try (InputStream in = new java.util.zip.GZIPInputStream(Files.newInputStream(gzFile), 1 << 16)) {
            hex = of(in, algorithm);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new DataFormatException(gzFile, "corrupt gzip data (" + e.getMessage() + ")", e);
        }
        remember(memoKey, attrs, hex);
        return hex;
    }

    private static void remember(String key, BasicFileAttributes attrs, String hex) {
        if (System.currentTimeMillis() - attrs.lastModifiedTime().toMillis() > RACY_MILLIS) MEMO.put(key, hex);
    }

    private static MessageDigest newDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm.toUpperCase(Locale.ROOT));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("unknown digest algorithm '" + algorithm + "' (use MD5 or SHA-256)", e);
        }
    }
}
