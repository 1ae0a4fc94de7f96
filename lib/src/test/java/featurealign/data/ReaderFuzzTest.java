package featurealign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing of every reader: byte flips, truncations, inflated header fields (up to 2^31−1), extra
 * bytes, garbage lines. The only exception allowed out of a reader is {@link DataFormatException}, and its message
 * must name an input file; a mutation that still parses must give a result consistent with the bytes.
 */
@Timeout(120)
class ReaderFuzzTest {
    private static final int CASES = 1000;
    private static final int[] SPECIAL_INTS = {0, 1, -1, 2, 255, 256, 65_535, 1 << 20, Integer.MAX_VALUE,
            Integer.MIN_VALUE, 3073, 784};

    @TempDir
    Path dir;

    /** Tally of outcomes, printed so that a fuzz run shows what it exercised. */
    private record Tally(int[] counts) {
        Tally() {
            this(new int[2]);
        }

        void parsed() {
            counts[0]++;
        }

        void rejected() {
            counts[1]++;
        }

        @Override
        public String toString() {
            return counts[0] + " parsed consistently, " + counts[1] + " rejected with DataFormatException";
        }
    }

    @Test
    void mnistIdx() throws IOException {
        Fixtures.Mnist m = Fixtures.randomMnist(5, 4, 3, 11);
        byte[] images = Fixtures.idxImages(5, 4, 3, m.pixels());
        byte[] labels = Fixtures.idxLabels(m.labels());
        Path imagesFile = dir.resolve("train-images-idx3-ubyte");
        Path labelsFile = dir.resolve("train-labels-idx1-ubyte");
        Random random = new Random(20240601);
        Tally tally = new Tally();
        for (int c = 0; c < CASES; c++) {
            boolean mutateImages = random.nextInt(3) > 0;
            byte[] original = mutateImages ? images : labels;
            byte[] mutated = mutateBinary(original, random, mutateImages ? new int[]{4, 8, 12} : new int[]{4});
            if (random.nextInt(3) == 0) {
                mutated = Fixtures.gzip(mutated);
                if (random.nextBoolean()) {
                    mutated = mutateBinary(mutated, random, new int[0]); // corrupt the gzip stream itself
                }
            }
            Files.write(imagesFile, mutateImages ? mutated : images);
            Files.write(labelsFile, mutateImages ? labels : mutated);
            String label = "case " + c;
            try {
                ImageSet set = MnistReader.read(imagesFile, labelsFile, "fuzz", MnistReader.DIGIT_CLASSES);
                checkMnistConsistent(set, Files.readAllBytes(imagesFile), Files.readAllBytes(labelsFile), label);
                tally.parsed();
            } catch (DataFormatException e) {
                assertNamesAFile(e, label, imagesFile, labelsFile);
                tally.rejected();
            } catch (Throwable t) {
                fail(label + ": undocumented " + t, t);
            }
        }
        System.out.println("MNIST IDX fuzz, " + CASES + " cases: " + tally);
        assertTrue(tally.counts()[1] > CASES / 2, "most mutations must be rejected: " + tally);
    }

    private static void checkMnistConsistent(ImageSet set, byte[] imageFile, byte[] labelFile, String label)
            throws IOException {
        byte[] images = gunzipIfNeeded(imageFile);
        byte[] labels = gunzipIfNeeded(labelFile);
        int n = MnistReader.intAt(images, 4);
        int rows = MnistReader.intAt(images, 8);
        int cols = MnistReader.intAt(images, 12);
        assertEquals(n, set.size(), label);
        assertEquals(rows, set.height(), label);
        assertEquals(cols, set.width(), label);
        assertEquals(16 + (long) n * rows * cols, images.length, label);
        assertEquals(8 + n, labels.length, label);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(Arrays.copyOfRange(images, 16 + i * rows * cols, 16 + (i + 1) * rows * cols),
                    set.pixels(i), label);
            assertEquals(labels[8 + i], set.label(i), label);
        }
    }

    @Test
    void cifar10() throws IOException {
        byte[] batch = Fixtures.cifarRecords(new int[]{0, 5, 9}, 12);
        byte[] meta = String.join("\n", Cifar10Reader.CLASS_NAMES).concat("\n").getBytes(StandardCharsets.US_ASCII);
        Path batchFile = dir.resolve("data_batch_1.bin");
        Path metaFile = dir.resolve("batches.meta.txt");
        Random random = new Random(20240602);
        Tally tally = new Tally();
        for (int c = 0; c < CASES; c++) {
            boolean mutateBatch = random.nextInt(4) > 0;
            byte[] mutated;
            if (mutateBatch) {
                mutated = random.nextInt(4) == 0 ? flipLabel(batch, random) : mutateBinary(batch, random, new int[0]);
            } else {
                mutated = mutateText(meta, random);
            }
            Files.write(batchFile, mutateBatch ? mutated : batch);
            Files.write(metaFile, mutateBatch ? meta : mutated);
            String label = "case " + c;
            try {
                ImageSet set = Cifar10Reader.readTrain(dir);
                byte[] bytes = Files.readAllBytes(batchFile);
                assertEquals(bytes.length / Cifar10Reader.RECORD_BYTES, set.size(), label);
                assertEquals(0, bytes.length % Cifar10Reader.RECORD_BYTES, label);
                assertEquals(10, set.classCount(), label);
                for (int i = 0; i < set.size(); i++) {
                    int offset = i * Cifar10Reader.RECORD_BYTES;
                    assertEquals(bytes[offset], set.label(i), label);
                    assertArrayEquals(Arrays.copyOfRange(bytes, offset + 1, offset + Cifar10Reader.RECORD_BYTES),
                            set.pixels(i), label);
                }
                tally.parsed();
            } catch (DataFormatException e) {
                assertNamesAFile(e, label, batchFile, metaFile);
                tally.rejected();
            } catch (Throwable t) {
                fail(label + ": undocumented " + t, t);
            }
        }
        System.out.println("CIFAR-10 fuzz, " + CASES + " cases: " + tally);
        assertTrue(tally.counts()[1] > CASES / 2, "most mutations must be rejected: " + tally);
    }

    private static byte[] flipLabel(byte[] batch, Random random) {
        byte[] out = batch.clone();
        int record = random.nextInt(out.length / Cifar10Reader.RECORD_BYTES);
        out[record * Cifar10Reader.RECORD_BYTES] = (byte) random.nextInt(256);
        return out;
    }

    @Test
    void celebAAnnotationsAndJpeg() throws IOException {
        Fixtures.writeCelebA(dir, 3, true, 13);
        Path attrFile = dir.resolve(CelebAAnnotations.ATTRIBUTES_FILE);
        Path partFile = dir.resolve(CelebAAnnotations.PARTITION_FILE);
        Path idFile = dir.resolve(CelebAAnnotations.IDENTITY_FILE);
        Path jpegFile = dir.resolve("img_align_celeba/000002.jpg");
        Path[] files = {attrFile, partFile, idFile, jpegFile};
        byte[][] originals = new byte[files.length][];
        for (int f = 0; f < files.length; f++) {
            originals[f] = Files.readAllBytes(files[f]);
        }
        CelebAReader.Preprocessing small = new CelebAReader.Preprocessing(140, 16);
        Random random = new Random(20240603);
        Tally annotations = new Tally();
        Tally jpegs = new Tally();
        for (int c = 0; c < 2 * CASES; c++) {
            int target = c % 2 == 0 ? random.nextInt(3) : 3; // alternate annotation and JPEG cases
            byte[] mutated = target < 3 ? mutateText(originals[target], random) : mutateJpeg(originals[3], random);
            Files.write(files[target], mutated);
            String label = "case " + c + " (" + files[target].getFileName() + ")";
            try {
                if (target < 3) {
                    CelebAAnnotations ann = CelebAAnnotations.read(dir);
                    assertTrue(ann.size() >= 0, label);
                    for (int r = 0; r < ann.size(); r++) {
                        for (byte v : ann.attributes(r)) {
                            assertTrue(v == 1 || v == -1, label);
                        }
                    }
                    annotations.parsed();
                } else {
                    byte[] image = CelebAReader.decodeImage(jpegFile, small);
                    assertEquals(3 * 16 * 16, image.length, label);
                    jpegs.parsed();
                }
            } catch (DataFormatException e) {
                assertNamesAFile(e, label, files);
                (target < 3 ? annotations : jpegs).rejected();
            } catch (Throwable t) {
                fail(label + ": undocumented " + t, t);
            } finally {
                Files.write(files[target], originals[target]);
            }
        }
        System.out.println("CelebA annotation fuzz, " + CASES + " cases: " + annotations);
        System.out.println("CelebA JPEG fuzz, " + CASES + " cases: " + jpegs);
        // The full read path (annotations + parallel decode) on a corrupt image reports that image.
        Files.write(jpegFile, Arrays.copyOf(originals[3], 200));
        try {
            CelebAReader.read(dir, null, small, 3);
            fail("a 200-byte JPEG must not decode");
        } catch (DataFormatException e) {
            assertEquals(jpegFile, e.file());
        }
        assertTrue(annotations.counts()[1] > CASES / 2, "most annotation mutations must be rejected: " + annotations);
        assertTrue(jpegs.counts()[1] > CASES / 10, "many JPEG mutations must be rejected: " + jpegs);
    }

    // ---- mutators ----

    private static byte[] mutateBinary(byte[] original, Random random, int[] intFields) {
        byte[] out = original.clone();
        switch (random.nextInt(6)) {
            case 0 -> { // byte flips
                int flips = 1 + random.nextInt(4);
                for (int k = 0; k < flips; k++) {
                    int at = random.nextInt(Math.min(out.length, random.nextBoolean() ? 24 : out.length));
                    out[at] ^= (byte) (1 + random.nextInt(255));
                }
            }
            case 1 -> out = Arrays.copyOf(out, random.nextInt(out.length)); // truncation
            case 2 -> { // extra bytes
                byte[] extra = new byte[1 + random.nextInt(64)];
                random.nextBytes(extra);
                out = concat(out, extra);
            }
            case 3 -> { // inflated or odd header field
                if (intFields.length == 0) {
                    out[random.nextInt(out.length)] = (byte) random.nextInt(256);
                } else {
                    int field = intFields[random.nextInt(intFields.length)];
                    int value = random.nextBoolean() ? SPECIAL_INTS[random.nextInt(SPECIAL_INTS.length)]
                            : random.nextInt();
                    Fixtures.putInt(out, field, value);
                }
            }
            case 4 -> { // delete a run
                int from = random.nextInt(out.length);
                int to = Math.min(out.length, from + 1 + random.nextInt(8));
                out = concat(Arrays.copyOf(out, from), Arrays.copyOfRange(out, to, out.length));
            }
            default -> { // insert a run
                int at = random.nextInt(out.length + 1);
                byte[] run = new byte[1 + random.nextInt(8)];
                random.nextBytes(run);
                out = concat(concat(Arrays.copyOf(out, at), run), Arrays.copyOfRange(out, at, out.length));
            }
        }
        return out;
    }

    private static final String[] GARBAGE = {"", " ", "\t", "-1", "1", "0", "2", "3", "x", "000001.jpg", "000004.jpg",
            "99999999999", "-2147483648", "2147483647", "1.0", "+1", "\u00e9", "a/b.jpg", ".."};

    private static byte[] mutateText(byte[] original, Random random) {
        if (random.nextInt(5) == 0) {
            return mutateBinary(original, random, new int[0]);
        }
        String text = new String(original, StandardCharsets.ISO_8859_1);
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        int i = random.nextInt(lines.size());
        switch (random.nextInt(7)) {
            case 0 -> lines.remove(i);
            case 1 -> lines.add(i, lines.get(random.nextInt(lines.size())));
            case 2 -> lines.add(i, GARBAGE[random.nextInt(GARBAGE.length)]);
            case 3 -> { // replace one token
                String[] tokens = lines.get(i).split(" ", -1);
                tokens[random.nextInt(tokens.length)] = GARBAGE[random.nextInt(GARBAGE.length)];
                lines.set(i, String.join(" ", tokens));
            }
            case 4 -> lines.set(i, lines.get(i).replace("\r", "")); // mixed line endings
            case 5 -> { // swap two lines
                int j = random.nextInt(lines.size());
                String t = lines.get(i);
                lines.set(i, lines.get(j));
                lines.set(j, t);
            }
            default -> lines.set(i, lines.get(i) + " " + GARBAGE[random.nextInt(GARBAGE.length)]);
        }
        return String.join("\n", lines).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] mutateJpeg(byte[] original, Random random) {
        byte[] out = original.clone();
        switch (random.nextInt(4)) {
            case 0 -> { // flips in the headers (SOF holds the size; DQT/DHT the tables)
                int flips = 1 + random.nextInt(3);
                for (int k = 0; k < flips; k++) {
                    out[2 + random.nextInt(Math.min(out.length - 2, 620))] ^= (byte) (1 + random.nextInt(255));
                }
            }
            case 1 -> { // flips anywhere
                out[random.nextInt(out.length)] ^= (byte) (1 + random.nextInt(255));
            }
            case 2 -> { // inflated size in the SOF0 segment (FF C0, length, precision, height, width)
                for (int p = 2; p + 8 < out.length; p++) {
                    if ((out[p] & 0xff) == 0xff && (out[p + 1] & 0xff) == 0xc0) {
                        int value = random.nextBoolean() ? 0xffff : random.nextInt(0x10000);
                        int at = p + 5 + (random.nextBoolean() ? 0 : 2);
                        out[at] = (byte) (value >>> 8);
                        out[at + 1] = (byte) value;
                        break;
                    }
                }
            }
            default -> out = mutateBinary(original, random, new int[0]);
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] gunzipIfNeeded(byte[] bytes) throws IOException {
        if (bytes.length >= 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                return in.readAllBytes();
            }
        }
        return bytes;
    }

    private static void assertNamesAFile(DataFormatException e, String label, Path... files) {
        for (Path file : files) {
            if (e.getMessage() != null && e.getMessage().contains(file.toString())) {
                return;
            }
        }
        fail(label + ": message names none of the input files: " + e.getMessage());
    }
}
