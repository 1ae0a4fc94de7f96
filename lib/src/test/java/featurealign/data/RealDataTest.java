package featurealign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The readers on the real data: full MNIST, the shared CIFAR-10 and CelebA subsets. */
class RealDataTest {
    @Test
    void mnistTrainAndTest() throws IOException {
        Path dir = RealData.locate(DataSetId.MNIST);
        ImageSet train = MnistReader.readMnist(dir, Split.TRAIN);
        ImageSet test = MnistReader.readMnist(dir, Split.TEST);
        assertEquals(60_000, train.size());
        assertEquals(10_000, test.size());
        assertEquals(1, train.channels());
        assertEquals(28, train.height());
        assertEquals(28, train.width());
        assertArrayEquals(new int[]{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, train.labelCounts());
        assertArrayEquals(new int[]{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, test.labelCounts());
        // The first training image is a 5 whose pixels sum to 27,525 (166 non-zero pixels); the first test image a 7.
        assertEquals(5, train.label(0));
        assertEquals(27_525, sum(train.pixels(0)));
        assertEquals(7, test.label(0));
        assertEquals(18_454, sum(test.pixels(0)));
        INDArray first = train.toFloatNCHW(new int[]{0});
        assertEquals(27_525 / 255.0, first.sumNumber().doubleValue(), 1e-3);
    }

    @Test
    void sharedCifar10() throws IOException {
        Path dir = RealData.locate(DataSetId.CIFAR10);
        ImageSet train = Cifar10Reader.readTrain(dir);
        ImageSet test = Cifar10Reader.readTest(dir);
        assertEquals(10_000, train.size());
        assertEquals(5_000, test.size());
        int[] thousand = new int[10];
        Arrays.fill(thousand, 1000);
        int[] fiveHundred = new int[10];
        Arrays.fill(fiveHundred, 500);
        assertArrayEquals(thousand, train.labelCounts());
        assertArrayEquals(fiveHundred, test.labelCounts());
        assertEquals(Cifar10Reader.CLASS_NAMES, train.classNames());
        // The first record's pixels are the file's bytes 1..3072.
        byte[] head = new byte[Cifar10Reader.RECORD_BYTES];
        try (InputStream in = Files.newInputStream(dir.resolve("data_batch_1.bin"))) {
            assertEquals(head.length, in.readNBytes(head, 0, head.length));
        }
        assertEquals(head[0], train.label(0));
        assertArrayEquals(Arrays.copyOfRange(head, 1, head.length), train.pixels(0));
        // Every label agrees with the sidecar "index label split/class/name.png"; the official first test image,
        // domestic_cat_s_000907.png, is a cat (label 3).
        checkSidecar(dir.resolve("data_batch_1.filenames.txt"), train, "train");
        checkSidecar(dir.resolve("test_batch.filenames.txt"), test, "test");
        List<String> lines = Files.readAllLines(dir.resolve("test_batch.filenames.txt"));
        int cat = -1;
        for (String line : lines) {
            if (line.endsWith("/domestic_cat_s_000907.png")) {
                cat = Integer.parseInt(line.split(" ")[0]);
            }
        }
        assertTrue(cat >= 0, "domestic_cat_s_000907.png is in the shared test half");
        assertEquals(3, test.label(cat));
    }

    private static void checkSidecar(Path sidecar, ImageSet set, String split) throws IOException {
        List<String> lines = Files.readAllLines(sidecar);
        assertEquals(set.size(), lines.size());
        for (String line : lines) {
            String[] fields = line.split(" ");
            int index = Integer.parseInt(fields[0]);
            int label = Integer.parseInt(fields[1]);
            assertEquals(label, set.label(index), line);
            assertTrue(fields[2].startsWith(split + "/" + set.classNames().get(label) + "/"), line);
        }
    }

    @Test
    void sharedCelebA() throws IOException {
        Path dir = RealData.locate(DataSetId.CELEBA);
        CelebAAnnotations ann = CelebAAnnotations.read(dir);
        assertEquals(4_800, ann.size());
        assertEquals(40, ann.attributeNames().size());
        assertEquals("5_o_Clock_Shadow", ann.attributeNames().get(0));
        assertEquals("Young", ann.attributeNames().get(39));
        assertEquals(3_660, ann.rows(Split.TRAIN).length);
        assertEquals(630, ann.rows(Split.VALIDATION).length);
        assertEquals(510, ann.rows(Split.TEST).length);
        assertEquals(122, ann.identitiesOf(ann.rows(Split.TRAIN)).size());
        assertEquals(21, ann.identitiesOf(ann.rows(Split.VALIDATION)).size());
        assertEquals(17, ann.identitiesOf(ann.rows(Split.TEST)).size());
        // Decode every image once: each must be a 178×218 RGB JPEG that decodes without warnings.
        long start = System.nanoTime();
        ImageSet all = CelebAReader.decode(ann, ann.rows(null), CelebAReader.Preprocessing.DEFAULT, "celeba all");
        System.out.printf("decoded %d CelebA images to 64×64 in %.1f s%n", all.size(),
                (System.nanoTime() - start) / 1e9);
        assertEquals(4_800, all.size());
        assertEquals(64, all.height());
        for (int i = 0; i < all.size(); i += 97) {
            assertArrayEquals(ann.attributes(i), all.attributes(i));
            assertEquals(ann.fileName(i), all.itemName(i));
        }
        double mean = all.toFloatNCHW(all.first(200).allIndices()).meanNumber().doubleValue();
        assertTrue(mean > 0.2 && mean < 0.8, "mean pixel " + mean);
        ImageSet test = CelebAReader.read(dir, Split.TEST, CelebAReader.Preprocessing.CROP_148, 10);
        assertEquals(10, test.size());
        assertEquals(ann.fileName(ann.rows(Split.TEST)[0]), test.itemName(0));
    }

    @Test
    void fashionMnistWhenInstalled() throws IOException {
        // Optional everywhere (CI included): Fashion-MNIST is not part of the kit's required data.
        DataStore.Location location;
        try {
            location = RealData.store().locate(DataSetId.FASHION_MNIST);
        } catch (DataFormatException e) {
            org.junit.jupiter.api.Assumptions.abort("Fashion-MNIST not installed (optional): " + e.getMessage());
            return;
        }
        ImageSet train = MnistReader.readFashionMnist(location.directory(), Split.TRAIN);
        ImageSet test = MnistReader.readFashionMnist(location.directory(), Split.TEST);
        int[] perClassTrain = new int[10];
        Arrays.fill(perClassTrain, 6000);
        int[] perClassTest = new int[10];
        Arrays.fill(perClassTest, 1000);
        assertArrayEquals(perClassTrain, train.labelCounts());
        assertArrayEquals(perClassTest, test.labelCounts());
        assertEquals("Ankle boot", train.classNames().get(train.label(0)));
    }

    private static long sum(byte[] pixels) {
        long s = 0;
        for (byte b : pixels) {
            s += b & 0xff;
        }
        return s;
    }
}
