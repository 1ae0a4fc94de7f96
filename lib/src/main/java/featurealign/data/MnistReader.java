package featurealign.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads MNIST and Fashion-MNIST from IDX files (raw or gzip, detected by the gzip magic bytes, not by name).
 *
 * <p>Checks: magic numbers (2051 = 0x00000803 for images, 2049 = 0x00000801 for labels: unsigned bytes with 3 or 1
 * dimensions), positive dimensions, the exact file length implied by the header (checked before any pixel array
 * is allocated), that image and label counts agree and that every label is a valid class id. Standard file names:
 * {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte},
 * {@code t10k-labels-idx1-ubyte}, each optionally with {@code .gz}.
 */
public final class MnistReader {
    /** MNIST class names: the digits "0".."9". */
    public static final List<String> DIGIT_CLASSES =
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    /** Fashion-MNIST class names, index = label. */
    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private MnistReader() {
    }

    /** MNIST split ({@link Split#TRAIN} or {@link Split#TEST}) from a directory holding the standard files. */
    public static ImageSet readMnist(Path dir, Split split) throws DataFormatException {
        return readDir(dir, split, "mnist", DIGIT_CLASSES);
    }

    /** Fashion-MNIST split from a directory holding the standard files. */
    public static ImageSet readFashionMnist(Path dir, Split split) throws DataFormatException {
        return readDir(dir, split, "fashion-mnist", FASHION_CLASSES);
    }

    private static ImageSet readDir(Path dir, Split split, String setName, List<String> classes)
            throws DataFormatException {
        String prefix = filePrefix(split);
        Path images = findFile(dir, prefix + "-images-idx3-ubyte");
        Path labels = findFile(dir, prefix + "-labels-idx1-ubyte");
        return read(images, labels, setName + " " + split.label(), classes);
    }

    static String filePrefix(Split split) {
        return switch (split) {
            case TRAIN -> "train";
            case TEST -> "t10k";
            case VALIDATION -> throw new IllegalArgumentException("MNIST-style sets have no validation split;"
                    + " take a subset of TRAIN instead");
        };
    }

    /** {@code dir/baseName} if present, else {@code dir/baseName.gz}; an error naming both when neither exists. */
    public static Path findFile(Path dir, String baseName) throws DataFormatException {
        Path raw = dir.resolve(baseName);
        if (Files.isRegularFile(raw)) {
            return raw;
        }
        Path gz = dir.resolve(baseName + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new DataFormatException(dir, "expected " + baseName + " or " + baseName + ".gz, found neither");
    }

    /**
     * Reads an images file and a labels file into one set.
     *
     * @param name       set name for messages; the image file path is appended
     * @param classNames class names; every label must be below their count
     * @return a set of N 1×rows×cols images with labels
     */
    public static ImageSet read(Path imagesFile, Path labelsFile, String name, List<String> classNames)
            throws DataFormatException {
        IdxImages images = readImages(imagesFile);
        byte[] labelBytes = readLabels(labelsFile);
        if (labelBytes.length != images.count()) {
            throw new DataFormatException(labelsFile, "holds " + labelBytes.length + " labels, but "
                    + imagesFile + " holds " + images.count() + " images (expected equal counts)");
        }
        int[] labels = new int[labelBytes.length];
        for (int i = 0; i < labels.length; i++) {
            int label = labelBytes[i] & 0xff;
            if (label >= classNames.size()) {
                throw new DataFormatException(labelsFile, "label " + i + " (byte offset " + (8 + i) + ") is "
                        + label + ", expected 0.." + (classNames.size() - 1));
            }
            labels[i] = label;
        }
        return ImageSet.builder(name + " (" + imagesFile + ")", 1, images.rows(), images.cols())
                .pixels(images.pixels())
                .labels(labels, classNames)
                .build();
    }

    /** Pixels of an IDX image file: count images of rows×cols unsigned bytes, row-major. */
    public record IdxImages(int count, int rows, int cols, byte[] pixels) {
    }

    /** Reads an IDX3 unsigned-byte image file (raw or gzip). */
    public static IdxImages readImages(Path file) throws DataFormatException {
        try (InputStream in = DataFiles.open(file)) {
            boolean gz = DataFiles.isGzip(file);
            byte[] header = readHeader(in, file, 16, "IDX image header");
            checkMagic(file, header, IMAGES_MAGIC, 3);
            int count = positive(file, header, 4, "image count");
            int rows = positive(file, header, 8, "row count");
            int cols = positive(file, header, 12, "column count");
            long payload;
            try {
                payload = Math.multiplyExact(Math.multiplyExact((long) count, rows), cols);
            } catch (ArithmeticException e) {
                throw new DataFormatException(file, "header dimensions " + count + "×" + rows + "×" + cols
                        + " are too large");
            }
            checkLength(file, gz, 16, payload, count + " images of " + rows + "×" + cols);
            if (payload > ImageSet.imagesPerChunk(rows * cols) * (long) rows * cols || payload > (1L << 30)) {
                throw new DataFormatException(file, "header says " + count + " images of " + rows + "×" + cols
                        + " = " + payload + " bytes; at most 1 GiB of pixels per IDX file is supported");
            }
            byte[] pixels = DataFiles.readExactly(in, file, payload, "pixel data");
            DataFiles.expectEnd(in, file, 16 + payload);
            return new IdxImages(count, rows, cols, pixels);
        } catch (DataFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFormatException(file, "could not read (" + e + ")", e);
        }
    }

    /** Reads an IDX1 unsigned-byte label file (raw or gzip): one byte per item. */
    public static byte[] readLabels(Path file) throws DataFormatException {
        try (InputStream in = DataFiles.open(file)) {
            boolean gz = DataFiles.isGzip(file);
            byte[] header = readHeader(in, file, 8, "IDX label header");
            checkMagic(file, header, LABELS_MAGIC, 1);
            int count = positive(file, header, 4, "label count");
            checkLength(file, gz, 8, count, count + " labels");
            byte[] labels = DataFiles.readExactly(in, file, count, "labels");
            DataFiles.expectEnd(in, file, 8L + count);
            return labels;
        } catch (DataFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFormatException(file, "could not read (" + e + ")", e);
        }
    }

    private static byte[] readHeader(InputStream in, Path file, int length, String what) throws IOException {
        byte[] header;
        try {
            header = in.readNBytes(length);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new DataFormatException(file, "corrupt gzip data in the " + what + " (" + e.getMessage() + ")", e);
        }
        if (header.length < length) {
            throw new DataFormatException(file, "too short: expected a " + length + "-byte " + what + ", found "
                    + header.length + " bytes");
        }
        return header;
    }

    private static void checkMagic(Path file, byte[] header, int expected, int dims) throws DataFormatException {
        int magic = intAt(header, 0);
        if (magic != expected) {
            throw new DataFormatException(file, String.format("expected IDX magic number %d (0x%08x: unsigned"
                    + " bytes, %d dimension%s), found %d (0x%08x: data type 0x%02x, %d dimensions)", expected,
                    expected, dims, dims == 1 ? "" : "s", magic, magic, header[2] & 0xff, header[3] & 0xff));
        }
    }

    private static int positive(Path file, byte[] header, int offset, String what) throws DataFormatException {
        int value = intAt(header, offset);
        if (value <= 0) {
            throw new DataFormatException(file, "header " + what + " (byte offset " + offset + ") is " + value
                    + ", expected a positive number");
        }
        return value;
    }

    /** For raw files the exact length is known up front, so a lying header fails before any allocation. */
    private static void checkLength(Path file, boolean gz, int headerBytes, long payload, String what)
            throws IOException {
        if (gz) {
            return; // checked while streaming: truncation and extra bytes are both reported
        }
        long actual = Files.size(file);
        long expected = headerBytes + payload;
        if (actual != expected) {
            throw new DataFormatException(file, "expected " + expected + " bytes (" + headerBytes
                    + "-byte header + " + what + "), found " + actual + " bytes");
        }
    }

    static int intAt(byte[] b, int offset) {
        return ((b[offset] & 0xff) << 24) | ((b[offset + 1] & 0xff) << 16) | ((b[offset + 2] & 0xff) << 8)
                | (b[offset + 3] & 0xff);
    }
}
