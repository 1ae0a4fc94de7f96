package featurealign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CelebAReaderTest {
    @TempDir
    Path dir;

    @Test
    void readsSplitsWithAttributesInCrlfAndLf() throws IOException {
        for (boolean crlf : new boolean[]{true, false}) {
            Path root = dir.resolve(crlf ? "crlf" : "lf");
            Fixtures.writeCelebA(root, 8, crlf, 5);
            CelebAAnnotations ann = CelebAAnnotations.read(root);
            assertEquals(8, ann.size());
            assertEquals(Fixtures.attributeNames(), ann.attributeNames());
            assertArrayEquals(new int[]{0, 1, 4, 5}, ann.rows(Split.TRAIN));
            assertArrayEquals(new int[]{2, 6}, ann.rows(Split.VALIDATION));
            assertArrayEquals(new int[]{3, 7}, ann.rows(Split.TEST));
            assertEquals(4, ann.identity(7));
            ImageSet train = CelebAReader.read(root, Split.TRAIN);
            assertEquals(4, train.size());
            assertEquals(3, train.channels());
            assertEquals(64, train.height());
            assertEquals(64, train.width());
            assertEquals(40, train.attributeNames().size());
            assertArrayEquals(ann.attributes(4), train.attributes(2));
            assertEquals("000005.jpg", train.itemName(2));
            assertEquals(-1, train.label(0));
            ImageSet firstTwo = CelebAReader.read(root, Split.TRAIN, CelebAReader.Preprocessing.CROP_148, 2);
            assertEquals(2, firstTwo.size());
        }
    }

    @Test
    void solidColourSurvivesCropAndResize() throws IOException {
        Fixtures.writeCelebA(dir, 1, false, 1);
        Files.write(dir.resolve("img_align_celeba/000001.jpg"), Fixtures.faceJpeg(0, 0x3C82C8));
        ImageSet set = CelebAReader.read(dir, null, new CelebAReader.Preprocessing(148, 32), 1);
        assertEquals(32, set.height());
        for (int y = 0; y < 32; y += 7) {
            for (int x = 0; x < 32; x += 5) {
                assertEquals(0x3C, set.pixel(0, 0, y, x), 3);
                assertEquals(0x82, set.pixel(0, 1, y, x), 3);
                assertEquals(0xC8, set.pixel(0, 2, y, x), 3);
            }
        }
    }

    @Test
    void cropResizeIsAnExactCentredBoxAverage() {
        int w = 178;
        int h = 218;
        int[] argb = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                argb[y * w + x] = (x & 0xff) << 16 | (y & 0xff) << 8 | ((x + y) % 7);
            }
        }
        // crop 140 from (19, 39); scale 2: each output pixel is the mean of a 2×2 block.
        byte[] out = CelebAReader.cropResize(argb, w, h, 140, 70);
        int oy = 10;
        int ox = 20;
        double red = (19 + 2 * ox + 19 + 2 * ox + 1) / 2.0; // x varies across the block
        double green = (39 + 2 * oy + 39 + 2 * oy + 1) / 2.0;
        assertEquals(Math.round(red), out[oy * 70 + ox] & 0xff);
        assertEquals(Math.round(green), out[70 * 70 + oy * 70 + ox] & 0xff);
        // Non-integer scale (140 → 64): a constant image stays constant, a ramp stays monotone.
        byte[] resized = CelebAReader.cropResize(argb, w, h, 140, 64);
        for (int x = 1; x < 64; x++) {
            assertTrue((resized[x] & 0xff) >= (resized[x - 1] & 0xff), "red ramp must not decrease");
        }
        assertEquals(19 + 140 / 64.0 / 2 - 0.5, resized[0] & 0xff, 0.6);
        // The crop of size = output size is the identity on the centred window.
        byte[] identity = CelebAReader.cropResize(argb, w, h, 148, 148);
        assertEquals(15 + 3, identity[3] & 0xff);
        assertEquals(35 + 2, identity[148 * 148 + 2 * 148] & 0xff);
        assertThrows(IllegalArgumentException.class, () -> new CelebAReader.Preprocessing(179, 64));
        assertThrows(IllegalArgumentException.class, () -> new CelebAReader.Preprocessing(140, 0));
    }

    @Test
    void wrongImageSizeOrColourIsAnErrorNamingTheFile() throws IOException {
        Fixtures.writeCelebA(dir, 2, true, 2);
        Path image = dir.resolve("img_align_celeba/000002.jpg");
        Files.write(image, Fixtures.jpeg(new BufferedImage(178, 200, BufferedImage.TYPE_INT_RGB)));
        DataFormatException size = assertThrows(DataFormatException.class, () -> CelebAReader.read(dir, null));
        assertEquals(image, size.file());
        assertTrue(size.getMessage().contains("expected a 178×218 RGB image") && size.getMessage().contains("178×200"),
                size.getMessage());
        Files.write(image, Fixtures.jpeg(new BufferedImage(178, 218, BufferedImage.TYPE_BYTE_GRAY)));
        DataFormatException grey = assertThrows(DataFormatException.class, () -> CelebAReader.read(dir, null));
        assertTrue(grey.getMessage().contains("expected an RGB image"), grey.getMessage());
        Files.write(image, new byte[]{(byte) 0x89, 'P', 'N', 'G'});
        DataFormatException png = assertThrows(DataFormatException.class, () -> CelebAReader.read(dir, null));
        assertTrue(png.getMessage().contains("not a JPEG"), png.getMessage());
        Files.delete(image);
        DataFormatException gone = assertThrows(DataFormatException.class, () -> CelebAReader.read(dir, null));
        assertTrue(gone.getMessage().startsWith(image.toString()) && gone.getMessage().contains("not found"),
                gone.getMessage());
        byte[] good = Fixtures.faceJpeg(3, -1);
        Files.write(image, java.util.Arrays.copyOf(good, good.length / 2));
        DataFormatException truncated = assertThrows(DataFormatException.class, () -> CelebAReader.read(dir, null));
        assertTrue(truncated.getMessage().startsWith(image.toString()), truncated.getMessage());
    }

    @Test
    void annotationProblemsNameFileAndLine() throws IOException {
        Fixtures.writeCelebA(dir, 4, true, 3);
        Path attr = dir.resolve(CelebAAnnotations.ATTRIBUTES_FILE);
        Path part = dir.resolve(CelebAAnnotations.PARTITION_FILE);
        List<String> attrLines = Files.readAllLines(attr, StandardCharsets.US_ASCII);

        rewrite(attr, attrLines, 0, "5");
        expectError(attr, "line 1 says 5 images, but the file has 4 attribute rows");
        rewrite(attr, attrLines, 0, "four");
        expectError(attr, "line 1: expected the number of images");
        rewrite(attr, attrLines, 1, "Only_One_Name");
        expectError(attr, "line 2: expected 40 attribute names, found 1");
        rewrite(attr, attrLines, 3, attrLines.get(3).replaceFirst(" -1$| {2}1$", " 0"));
        expectError(attr, "line 4: value '0' for attribute Attr_39, expected 1 or -1");
        rewrite(attr, attrLines, 4, attrLines.get(4).substring(0, attrLines.get(4).length() - 3));
        expectError(attr, "line 5: expected 41 fields");
        rewrite(attr, attrLines, 5, attrLines.get(2));
        expectError(attr, "line 6: second row for 000001.jpg (first on line 3)");
        rewrite(attr, attrLines, 2, "../etc/passwd" + attrLines.get(2).substring(10));
        expectError(attr, "line 3: '../etc/passwd' is not a plain image file name");
        Files.write(attr, attrLines, StandardCharsets.US_ASCII);

        List<String> partLines = Files.readAllLines(part, StandardCharsets.US_ASCII);
        rewrite(part, partLines, 1, "000002.jpg 3");
        expectError(part, "line 2: partition '3'");
        rewrite(part, partLines, 1, "000099.jpg 0");
        expectError(part, "line 2: image 000099.jpg has no row in list_attr_celeba.txt");
        Files.write(part, partLines.subList(0, 3), StandardCharsets.US_ASCII);
        expectError(part, "no line for image 000004.jpg");
        Files.write(part, partLines, StandardCharsets.US_ASCII);
        assertEquals(4, CelebAAnnotations.read(dir).size());

        Files.delete(dir.resolve(CelebAAnnotations.IDENTITY_FILE));
        CelebAAnnotations noIds = CelebAAnnotations.read(dir);
        assertFalse(noIds.hasIdentities());
        assertEquals(-1, noIds.identity(0));
        Files.delete(part);
        expectError(part, "file not found");
    }

    private static void rewrite(Path file, List<String> lines, int index, String replacement) throws IOException {
        List<String> copy = new java.util.ArrayList<>(lines);
        copy.set(index, replacement);
        Files.writeString(file, String.join("\r\n", copy) + "\r\n", StandardCharsets.US_ASCII);
    }

    private void expectError(Path file, String text) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> CelebAAnnotations.read(dir));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(text), "expected '" + text + "' in: " + e.getMessage());
    }
}
