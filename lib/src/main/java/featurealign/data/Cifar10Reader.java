package featurealign.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the CIFAR-10 binary format: files of back-to-back 3,073-byte records (1 label byte 0–9, then 1,024 red,
 * 1,024 green and 1,024 blue bytes, each a row-major 32×32 plane, which is already CHW order).
 *
 * <p>Any whole number (≥ 1) of records per file is accepted, so partial copies such as the shared subset
 * (10,000 train records in {@code data_batch_1.bin}, 5,000 test records in {@code test_batch.bin}) read as
 * they are. The train split is every {@code data_batch_N.bin} (N = 1..5) that exists, in order of N.
 */
public final class Cifar10Reader {
    public static final int RECORD_BYTES = 3073;
    public static final int IMAGE_BYTES = 3072;
    /** The official class names, index = label. */
    public static final List<String> CLASS_NAMES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog",
            "frog", "horse", "ship", "truck");
    public static final String TEST_FILE = "test_batch.bin";
    public static final String META_FILE = "batches.meta.txt";

    private Cifar10Reader() {
    }

    /** The train split (all existing data_batch_N.bin) or the test split (test_batch.bin) of {@code dir}. */
    public static ImageSet read(Path dir, Split split) throws DataFormatException {
        return switch (split) {
            case TRAIN -> readTrain(dir);
            case TEST -> readTest(dir);
            case VALIDATION -> throw new IllegalArgumentException("CIFAR-10 has no validation split;"
                    + " take a subset of TRAIN instead");
        };
    }

    /** Every existing {@code data_batch_1.bin} .. {@code data_batch_5.bin} of {@code dir}, in order. */
    public static ImageSet readTrain(Path dir) throws DataFormatException {
        List<Path> files = trainFiles(dir);
        if (files.isEmpty()) {
            throw new DataFormatException(dir, "no CIFAR-10 training file: expected at least one of"
                    + " data_batch_1.bin .. data_batch_5.bin (binary version)");
        }
        return readFiles("cifar10 train", files, readClassNames(dir));
    }

    /** {@code test_batch.bin} of {@code dir}. */
    public static ImageSet readTest(Path dir) throws DataFormatException {
        Path file = dir.resolve(TEST_FILE);
        if (!Files.isRegularFile(file)) {
            throw new DataFormatException(dir, "no CIFAR-10 test file: expected " + TEST_FILE + " (binary version)");
        }
        return readFiles("cifar10 test", List.of(file), readClassNames(dir));
    }

    /** The data_batch_N.bin files (N = 1..5) present in {@code dir}. */
    public static List<Path> trainFiles(Path dir) {
        List<Path> files = new ArrayList<>();
        for (int n = 1; n <= 5; n++) {
            Path file = dir.resolve("data_batch_" + n + ".bin");
            if (Files.isRegularFile(file)) {
                files.add(file);
            }
        }
        return files;
    }

    /**
     * Class names from {@code batches.meta.txt} (exactly 10 non-blank lines; trailing blank lines allowed) or the
     * official names when the file is absent.
     */
    public static List<String> readClassNames(Path dir) throws DataFormatException {
        Path meta = dir.resolve(META_FILE);
        if (!Files.exists(meta)) {
            return CLASS_NAMES;
        }
        List<String> lines;
        try {
            lines = TextLines.read(meta);
        } catch (DataFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFormatException(meta, "could not read (" + e + ")", e);
        }
        int last = lines.size();
        while (last > 0 && lines.get(last - 1).isBlank()) {
            last--;
        }
        if (last != CLASS_NAMES.size()) {
            throw new DataFormatException(meta, "expected " + CLASS_NAMES.size() + " class names, one per line, found "
                    + last + " lines");
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < last; i++) {
            String name = lines.get(i).strip();
            if (name.isEmpty()) {
                throw new DataFormatException(meta, "line " + (i + 1) + ": empty class name");
            }
            names.add(name);
        }
        return List.copyOf(names);
    }

    /** Reads the records of the given files, in order, into one set. */
    public static ImageSet readFiles(String name, List<Path> files, List<String> classNames)
            throws DataFormatException {
        long total = 0;
        long[] counts = new long[files.size()];
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            long length;
            try {
                length = Files.size(file);
            } catch (IOException e) {
                throw new DataFormatException(file, "could not read (" + e + ")", e);
            }
            if (length == 0 || length % RECORD_BYTES != 0) {
                throw new DataFormatException(file, "length " + length + " bytes is not a positive whole number of "
                        + RECORD_BYTES + "-byte CIFAR-10 records (" + length / RECORD_BYTES + " records + "
                        + length % RECORD_BYTES + " extra bytes)");
            }
            counts[f] = length / RECORD_BYTES;
            total += counts[f];
        }
        if (total > ImageSet.imagesPerChunk(IMAGE_BYTES)) {
            throw new DataFormatException(files.get(0), total + " records exceed the supported "
                    + ImageSet.imagesPerChunk(IMAGE_BYTES));
        }
        int n = (int) total;
        byte[] pixels = new byte[n * IMAGE_BYTES];
        int[] labels = new int[n];
        byte[] record = new byte[RECORD_BYTES];
        int index = 0;
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
                for (long r = 0; r < counts[f]; r++) {
                    if (in.readNBytes(record, 0, RECORD_BYTES) != RECORD_BYTES) {
                        throw new DataFormatException(file, "truncated while reading record " + r
                                + " (file changed during reading?)");
                    }
                    int label = record[0] & 0xff;
                    if (label >= classNames.size()) {
                        throw new DataFormatException(file, "record " + r + " (byte offset " + r * RECORD_BYTES
                                + ") has label " + label + ", expected 0.." + (classNames.size() - 1));
                    }
                    labels[index] = label;
                    System.arraycopy(record, 1, pixels, index * IMAGE_BYTES, IMAGE_BYTES);
                    index++;
                }
            } catch (DataFormatException e) {
                throw e;
            } catch (IOException e) {
                throw new DataFormatException(file, "could not read (" + e + ")", e);
            }
        }
        StringBuilder source = new StringBuilder();
        for (Path file : files) {
            source.append(source.length() == 0 ? "" : ", ").append(file);
        }
        return ImageSet.builder(name + " (" + source + ")", 3, 32, 32)
                .pixels(pixels)
                .labels(labels, classNames)
                .build();
    }
}
