package featurealign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistReaderTest {
    @TempDir
    Path dir;

    @Test
    void readsRawAndGzipIdenticallyWhateverTheName() throws IOException {
        Fixtures.Mnist m = Fixtures.randomMnist(7, 5, 4, 1);
        Fixtures.writeMnistDir(dir.resolve("raw"), "train", m, false);
        Fixtures.writeMnistDir(dir.resolve("gz"), "t10k", m, true);
        ImageSet raw = MnistReader.readMnist(dir.resolve("raw"), Split.TRAIN);
        ImageSet gz = MnistReader.readMnist(dir.resolve("gz"), Split.TEST);
        for (ImageSet set : new ImageSet[]{raw, gz}) {
            assertEquals(7, set.size());
            assertEquals(1, set.channels());
            assertEquals(5, set.height());
            assertEquals(4, set.width());
            for (int i = 0; i < 7; i++) {
                assertEquals(m.labels()[i], set.label(i));
                assertArrayEquals(Arrays.copyOfRange(m.pixels(), i * 20, i * 20 + 20), set.pixels(i));
            }
        }
        // Gzip is detected by content: a gzip file without .gz in its name reads the same.
        Path disguised = dir.resolve("images-no-suffix");
        Files.write(disguised, Fixtures.gzip(Fixtures.idxImages(7, 5, 4, m.pixels())));
        Path labels = dir.resolve("labels");
        Files.write(labels, Fixtures.idxLabels(m.labels()));
        ImageSet same = MnistReader.read(disguised, labels, "x", MnistReader.DIGIT_CLASSES);
        assertArrayEquals(raw.pixels(6), same.pixels(6));
    }

    @Test
    void missingFilesNameTheFolderAndBothNames() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> MnistReader.readMnist(dir, Split.TRAIN));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MnistReader.readMnist(dir, Split.VALIDATION));
    }

    @Test
    void badHeadersAndLengthsAreNamedErrors() throws IOException {
        Fixtures.Mnist m = Fixtures.randomMnist(3, 2, 2, 2);
        byte[] good = Fixtures.idxImages(3, 2, 2, m.pixels());

        byte[] badMagic = good.clone();
        badMagic[3] = 0x01;
        expectImagesError(badMagic, "magic number 2051");

        byte[] badType = good.clone();
        badType[2] = 0x0D; // float data
        expectImagesError(badType, "data type 0x0d");

        byte[] inflated = good.clone();
        Fixtures.putInt(inflated, 4, Integer.MAX_VALUE);
        expectImagesError(inflated, "expected " + (16 + (long) Integer.MAX_VALUE * 4) + " bytes");

        byte[] huge = good.clone();
        Fixtures.putInt(huge, 4, Integer.MAX_VALUE);
        Fixtures.putInt(huge, 8, Integer.MAX_VALUE);
        Fixtures.putInt(huge, 12, Integer.MAX_VALUE);
        expectImagesError(huge, "too large");

        byte[] negative = good.clone();
        Fixtures.putInt(negative, 8, -5);
        expectImagesError(negative, "row count");

        expectImagesError(Arrays.copyOf(good, good.length - 1), "found 27 bytes");
        expectImagesError(Arrays.copyOf(good, good.length + 3), "found 31 bytes");
        expectImagesError(Arrays.copyOf(good, 10), "16-byte IDX image header");
        // gzip: truncation and extra bytes are found while streaming
        expectImagesError(Fixtures.gzip(Arrays.copyOf(good, good.length - 1)), "truncated");
        expectImagesError(Fixtures.gzip(Arrays.copyOf(good, good.length + 1)), "extra bytes");
        byte[] corruptGz = Fixtures.gzip(good);
        corruptGz[corruptGz.length - 6] ^= 0x55; // CRC
        expectImagesError(corruptGz, "gzip");
    }

    @Test
    void labelProblemsAreNamedErrors() throws IOException {
        Fixtures.Mnist m = Fixtures.randomMnist(3, 2, 2, 3);
        Path images = dir.resolve("images");
        Files.write(images, Fixtures.idxImages(3, 2, 2, m.pixels()));
        Path labels = dir.resolve("labels");

        Files.write(labels, Fixtures.idxLabels(new byte[]{1, 2}));
        DataFormatException count = assertThrows(DataFormatException.class,
                () -> MnistReader.read(images, labels, "t", MnistReader.DIGIT_CLASSES));
        assertTrue(count.getMessage().contains("2 labels") && count.getMessage().contains("3 images"),
                count.getMessage());
        assertEquals(labels, count.file());

        Files.write(labels, Fixtures.idxLabels(new byte[]{1, 10, 2}));
        DataFormatException range = assertThrows(DataFormatException.class,
                () -> MnistReader.read(images, labels, "t", MnistReader.DIGIT_CLASSES));
        assertTrue(range.getMessage().contains("label 1 (byte offset 9) is 10"), range.getMessage());

        byte[] imagesAsLabels = Fixtures.idxImages(3, 2, 2, m.pixels());
        Files.write(labels, imagesAsLabels);
        DataFormatException swapped = assertThrows(DataFormatException.class,
                () -> MnistReader.read(images, labels, "t", MnistReader.DIGIT_CLASSES));
        assertTrue(swapped.getMessage().contains("2049"), swapped.getMessage());
    }

    private void expectImagesError(byte[] content, String expectedText) throws IOException {
        Path file = dir.resolve("images-under-test");
        Files.write(file, content);
        DataFormatException e = assertThrows(DataFormatException.class, () -> MnistReader.readImages(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expectedText), "expected '" + expectedText + "' in: " + e.getMessage());
    }
}
