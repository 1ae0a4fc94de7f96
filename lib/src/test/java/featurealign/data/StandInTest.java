package featurealign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The generated stand-ins: read back by the real readers, never taken for real data, and real data always wins. */
@Timeout(180)
class StandInTest {
    @TempDir
    Path tmp;

    /** A store that sees only {@code roots} and the cache under tmp: no FA_DATA_DIR, no system folders. */
    private DataStore store(Path... roots) {
        DataStore.Builder b = DataStore.builder().environment(Map.of("HOME", tmp.resolve("home").toString(), "PATH", ""))
                .cacheRoot(tmp.resolve("cache")).log(null).npmFallback(false).systemLocations(false).fetching(false);
        for (Path root : roots) {
            b.root(root);
        }
        return b.build();
    }

    @Test
    void cifarStandInIsReadByTheRealReaderWithItsShapesAndLabels() throws IOException {
        DataStore.Location at = store().locateOrStandIn(DataSetId.CIFAR10);
        assertTrue(at.standIn());
        assertEquals(tmp.resolve("cache").resolve("standin").resolve("cifar10"), at.directory());
        assertTrue(Files.exists(at.directory().resolve(StandIn.MARKER)));

        ImageSet train = Cifar10Reader.read(at.directory(), Split.TRAIN);
        ImageSet test = Cifar10Reader.read(at.directory(), Split.TEST);
        assertEquals(StandIn.CIFAR_TRAIN, train.size());
        assertEquals(StandIn.CIFAR_TEST, test.size());
        assertEquals(List.of(3, 32, 32), List.of(train.channels(), train.height(), train.width()));
        assertEquals(StandIn.CIFAR_CLASS_NAMES, train.classNames());
        for (int count : train.labelCounts()) {
            assertEquals(StandIn.CIFAR_TRAIN / 10, count);
        }
        // Structured, not noise: the "red-disc" class is red where its shape sits (the image centre), the
        // "blue-diamond" class blue.
        assertTrue(centreMean(train, 0, 0) > centreMean(train, 0, 2) + 40, "class 0 should be red at the centre");
        assertTrue(centreMean(train, 7, 2) > centreMean(train, 7, 0) + 40, "class 7 should be blue at the centre");
    }

    /** Mean of channel {@code c} over the central 4×4 pixels of every image of class {@code label}. */
    private static double centreMean(ImageSet set, int label, int c) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < set.size(); i++) {
            if (set.label(i) != label) {
                continue;
            }
            for (int y = 14; y < 18; y++) {
                for (int x = 14; x < 18; x++) {
                    sum += set.pixel(i, c, y, x);
                    n++;
                }
            }
        }
        return sum / n;
    }

    @Test
    void celebAStandInIsReadByTheRealReaderWithPartitionsAttributesAndIdentities() throws IOException {
        DataStore.Location at = store().locateOrStandIn(DataSetId.CELEBA);
        assertTrue(at.standIn());
        CelebAAnnotations annotations = CelebAAnnotations.read(at.directory());
        assertEquals(800, annotations.size());
        assertEquals(StandIn.CELEBA_ATTRIBUTES, annotations.attributeNames());
        assertEquals(40, annotations.attributeNames().size());
        int[] train = annotations.rows(Split.TRAIN), validation = annotations.rows(Split.VALIDATION),
                test = annotations.rows(Split.TEST);
        assertEquals(List.of(600, 80, 120), List.of(train.length, validation.length, test.length));
        assertTrue(annotations.hasIdentities());
        Set<Integer> trainIds = annotations.identitiesOf(train), testIds = new HashSet<>(annotations.identitiesOf(test));
        testIds.retainAll(trainIds);
        assertTrue(testIds.isEmpty(), "identities shared by train and test: " + testIds);
        assertEquals(150, trainIds.size());

        // The JPEGs are CelebA's aligned size, and the reader crops and resizes them.
        BufferedImage raw = ImageIO.read(annotations.imageFile(0).toFile());
        assertEquals(List.of(178, 218), List.of(raw.getWidth(), raw.getHeight()));
        ImageSet faces = CelebAReader.read(at.directory(), Split.TEST, CelebAReader.Preprocessing.DEFAULT, 50);
        assertEquals(50, faces.size());
        assertEquals(List.of(3, 64, 64), List.of(faces.channels(), faces.height(), faces.width()));
        assertTrue(faces.hasAttributes());
        assertArrayEquals(annotations.attributes(test[3]), faces.attributes(3));

        // The attributes describe the drawing consistently: at most one hair colour, none when bald, and No_Beard
        // exactly when there is neither goatee nor mustache.
        List<String> names = annotations.attributeNames();
        int smiling = 0;
        for (int r = 0; r < annotations.size(); r++) {
            byte[] a = annotations.attributes(r);
            int colours = 0;
            for (String hair : List.of("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair")) {
                colours += a[names.indexOf(hair)] > 0 ? 1 : 0;
            }
            assertEquals(a[names.indexOf("Bald")] > 0 ? 0 : 1, colours, "row " + r);
            boolean beard = a[names.indexOf("Goatee")] > 0 || a[names.indexOf("Mustache")] > 0;
            assertEquals(!beard, a[names.indexOf("No_Beard")] > 0, "row " + r);
            smiling += a[names.indexOf("Smiling")] > 0 ? 1 : 0;
        }
        assertTrue(smiling > 300 && smiling < 500, "about half smile: " + smiling);
    }

    @Test
    void standInIsDeterministicAndRegeneratedWhenDamaged() throws IOException {
        Path a = StandIn.ensure(tmp.resolve("a"), DataSetId.CIFAR10);
        Path b = StandIn.ensure(tmp.resolve("b"), DataSetId.CIFAR10);
        for (String name : List.of("data_batch_1.bin", "test_batch.bin", "batches.meta.txt", StandIn.MARKER)) {
            assertArrayEquals(Files.readAllBytes(a.resolve(name)), Files.readAllBytes(b.resolve(name)), name);
        }
        byte[] original = Files.readAllBytes(a.resolve("test_batch.bin"));
        Files.write(a.resolve("test_batch.bin"), new byte[Cifar10Reader.RECORD_BYTES]);
        assertTrue(StandIn.problem(a).contains("test_batch.bin: sha256"), StandIn.problem(a));
        assertEquals(a, StandIn.ensure(tmp.resolve("a"), DataSetId.CIFAR10));
        assertNull(StandIn.problem(a));
        assertArrayEquals(original, Files.readAllBytes(a.resolve("test_batch.bin")));
        // Nothing left behind: no temporary or stale folders beside it.
        try (Stream<Path> siblings = Files.list(a.getParent())) {
            assertEquals(List.of(a), siblings.toList());
        }
    }

    @Test
    void realDataWinsOverTheStandIn() throws IOException {
        DataStore cacheOnly = store();
        assertTrue(cacheOnly.locateOrStandIn(DataSetId.CIFAR10).standIn()); // the stand-in now exists
        // A verified real copy (the official layout with the manifest written when the archive is extracted).
        Path real = Files.createDirectories(tmp.resolve("root").resolve("cifar10"));
        StringBuilder manifest = new StringBuilder();
        for (String name : DataCatalog.CIFAR_OFFICIAL_FILES) {
            byte[] content = name.endsWith(".bin") ? Fixtures.cifarRecords(new int[]{3, 5}, name.hashCode())
                    : (String.join("\n", Cifar10Reader.CLASS_NAMES) + "\n").getBytes(StandardCharsets.US_ASCII);
            Files.write(real.resolve(name), content);
            manifest.append(Checksums.of(real.resolve(name), "SHA-256")).append("  ").append(name).append('\n');
        }
        Files.writeString(real.resolve(DataCatalog.CIFAR_MANIFEST), manifest);
        DataStore.Location at = store(tmp.resolve("root")).locateOrStandIn(DataSetId.CIFAR10);
        assertFalse(at.standIn());
        assertEquals(real, at.directory());
        assertEquals(Cifar10Reader.CLASS_NAMES, Cifar10Reader.read(at.directory(), Split.TRAIN).classNames());
        // The cache's own real folder wins too.
        Path cached = tmp.resolve("cache").resolve("cifar10");
        Files.move(real, cached);
        DataStore.Location fromCache = store().locateOrStandIn(DataSetId.CIFAR10);
        assertFalse(fromCache.standIn());
        assertEquals(cached, fromCache.directory());
    }

    @Test
    void aStandInPlacedAsRealDataIsRejected() throws IOException {
        Path standIn = StandIn.ensure(tmp.resolve("cache"), DataSetId.CELEBA);
        Path root = tmp.resolve("root");
        Files.createDirectories(root);
        Files.move(standIn, root.resolve("celeba"));
        DataMissingException e = assertThrows(DataMissingException.class,
                () -> store(root).locate(DataSetId.CELEBA));
        assertTrue(e.getMessage().contains("generated stand-in, not real data"), e.getMessage());
        // ... and the store then generates its own stand-in in the cache rather than using the placed copy.
        DataStore.Location at = store(root).locateOrStandIn(DataSetId.CELEBA);
        assertTrue(at.standIn());
        assertEquals(StandIn.directory(tmp.resolve("cache"), DataSetId.CELEBA), at.directory());
    }

    @Test
    void missingRealDataSaysHowToGetIt() {
        DataMissingException cifar = assertThrows(DataMissingException.class, () -> store().obtain(DataSetId.CIFAR10));
        assertTrue(cifar.getMessage().contains("environment/fetch-data cifar10"), cifar.getMessage());
        DataMissingException celeba = assertThrows(DataMissingException.class, () -> store().obtain(DataSetId.CELEBA));
        assertTrue(celeba.getMessage().contains("list_attr_celeba.txt and list_eval_partition.txt by hand from "
                + DataCatalog.CELEBA_PAGE), celeba.getMessage());
        assertThrows(IllegalArgumentException.class, () -> store().locateOrStandIn(DataSetId.MNIST));
    }
}
