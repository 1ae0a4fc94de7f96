package featurealign.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Writes small, valid data files of each supported format for tests. */
final class Fixtures {
    private Fixtures() {
    }

    static byte[] idxImages(int count, int rows, int cols, byte[] pixels) {
        byte[] out = new byte[16 + pixels.length];
        putInt(out, 0, MnistReader.IMAGES_MAGIC);
        putInt(out, 4, count);
        putInt(out, 8, rows);
        putInt(out, 12, cols);
        System.arraycopy(pixels, 0, out, 16, pixels.length);
        return out;
    }

    static byte[] idxLabels(byte[] labels) {
        byte[] out = new byte[8 + labels.length];
        putInt(out, 0, MnistReader.LABELS_MAGIC);
        putInt(out, 4, labels.length);
        System.arraycopy(labels, 0, out, 8, labels.length);
        return out;
    }

    static void putInt(byte[] b, int offset, int value) {
        b[offset] = (byte) (value >>> 24);
        b[offset + 1] = (byte) (value >>> 16);
        b[offset + 2] = (byte) (value >>> 8);
        b[offset + 3] = (byte) value;
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return bytes.toByteArray();
    }

    /** A seeded random tiny MNIST-style pair: pixels[i*rows*cols + p], labels 0..9. */
    record Mnist(byte[] pixels, byte[] labels, int rows, int cols) {
    }

    static Mnist randomMnist(int count, int rows, int cols, long seed) {
        Random random = new Random(seed);
        byte[] pixels = new byte[count * rows * cols];
        random.nextBytes(pixels);
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) random.nextInt(10);
        }
        return new Mnist(pixels, labels, rows, cols);
    }

    /** Writes train-images/labels (raw or gzip) of {@code m} into {@code dir} with the standard names. */
    static void writeMnistDir(Path dir, String prefix, Mnist m, boolean gz) throws IOException {
        Files.createDirectories(dir);
        byte[] images = idxImages(m.labels().length, m.rows(), m.cols(), m.pixels());
        byte[] labels = idxLabels(m.labels());
        String suffix = gz ? ".gz" : "";
        Files.write(dir.resolve(prefix + "-images-idx3-ubyte" + suffix), gz ? gzip(images) : images);
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte" + suffix), gz ? gzip(labels) : labels);
    }

    /** CIFAR-10 records: label byte then 3072 pixel bytes each. */
    static byte[] cifarRecords(int[] labels, long seed) {
        Random random = new Random(seed);
        byte[] out = new byte[labels.length * Cifar10Reader.RECORD_BYTES];
        random.nextBytes(out);
        for (int i = 0; i < labels.length; i++) {
            out[i * Cifar10Reader.RECORD_BYTES] = (byte) labels[i];
        }
        return out;
    }

    static List<String> attributeNames() {
        List<String> names = new ArrayList<>();
        for (int a = 0; a < CelebAAnnotations.ATTRIBUTE_COUNT; a++) {
            names.add("Attr_" + a);
        }
        return names;
    }

    /** A 178×218 RGB JPEG: a seeded smooth pattern, or a solid colour when {@code solidRgb} ≥ 0. */
    static byte[] faceJpeg(long seed, int solidRgb) {
        BufferedImage image = new BufferedImage(CelebAReader.IMAGE_WIDTH, CelebAReader.IMAGE_HEIGHT,
                BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        int r0 = random.nextInt(256);
        int g0 = random.nextInt(256);
        int b0 = random.nextInt(256);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = solidRgb >= 0 ? solidRgb
                        : ((r0 + x) & 0xff) << 16 | ((g0 + y) & 0xff) << 8 | ((b0 + x + y) / 2 & 0xff);
                image.setRGB(x, y, rgb);
            }
        }
        return jpeg(image);
    }

    static byte[] jpeg(BufferedImage image) {
        return StandIn.jpeg(image);
    }

    /**
     * Writes a small CelebA folder: {@code count} images 000001.jpg.., partitions cycling 0,0,1,2, attributes
     * seeded, CRLF or LF line endings, with an identity file (the annotation files by the stand-in's writers).
     */
    static void writeCelebA(Path dir, int count, boolean crlf, long seed) throws IOException {
        Path images = dir.resolve(CelebAAnnotations.IMAGE_DIR);
        Files.createDirectories(images);
        Random random = new Random(seed);
        String eol = crlf ? "\r\n" : "\n";
        List<String> names = new ArrayList<>();
        byte[][] attributes = new byte[count][CelebAAnnotations.ATTRIBUTE_COUNT];
        int[] partitions = new int[count];
        int[] identities = new int[count];
        for (int i = 1; i <= count; i++) {
            String name = String.format("%06d.jpg", i);
            Files.write(images.resolve(name), faceJpeg(seed + i, -1));
            names.add(name);
            for (int a = 0; a < CelebAAnnotations.ATTRIBUTE_COUNT; a++) {
                attributes[i - 1][a] = (byte) (random.nextBoolean() ? 1 : -1);
            }
            partitions[i - 1] = new int[]{0, 0, 1, 2}[(i - 1) % 4];
            identities[i - 1] = 1 + (i - 1) / 2;
        }
        Files.write(dir.resolve(CelebAAnnotations.ATTRIBUTES_FILE),
                StandIn.attributeFile(attributeNames(), names, attributes, eol));
        Files.write(dir.resolve(CelebAAnnotations.PARTITION_FILE), StandIn.keyedFile(names, partitions, eol));
        Files.write(dir.resolve(CelebAAnnotations.IDENTITY_FILE), StandIn.keyedFile(names, identities, eol));
    }
}
