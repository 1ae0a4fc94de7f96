package featurealign.viz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ImageGridTest {

    @TempDir
    Path dir;

    /** N grey H×W images; image k is uniformly (k+1)/10, so every cell is identifiable by its grey level. */
    private static INDArray numberedGreyImages(int n, int h, int w) {
        INDArray images = Nd4j.zeros(DataType.FLOAT, n, 1, h, w);
        for (int k = 0; k < n; k++) {
            images.get(NDArrayIndex.point(k)).assign((k + 1) / 10.0);
        }
        return images;
    }

    private static int grey(double value) {
        int b = (int) Math.floor(value * 255 + 0.5);
        return b << 16 | b << 8 | b;
    }

    private static int rgbAt(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) & 0xFFFFFF;
    }

    @Test
    void followsTheMakeGridLayout() {
        // 5 images of 4×6, 3 per row, padding 2: 3 columns, 2 rows.
        BufferedImage grid = ImageGrid.grid(numberedGreyImages(5, 4, 6), 3, 2, 1);
        assertEquals(3 * (6 + 2) + 2, grid.getWidth());
        assertEquals(2 * (4 + 2) + 2, grid.getHeight());
        assertEquals(BufferedImage.TYPE_INT_RGB, grid.getType());
        for (int k = 0; k < 5; k++) {
            int left = 2 + (k % 3) * 8;
            int top = 2 + (k / 3) * 6;
            assertEquals(grey((k + 1) / 10.0), rgbAt(grid, left, top), "top-left of cell " + k);
            assertEquals(grey((k + 1) / 10.0), rgbAt(grid, left + 5, top + 3), "bottom-right of cell " + k);
            assertEquals(0, rgbAt(grid, left - 1, top), "padding left of cell " + k);
            assertEquals(0, rgbAt(grid, left + 6, top + 3), "padding right of cell " + k);
            assertEquals(0, rgbAt(grid, left, top + 4), "padding below cell " + k);
        }
        assertEquals(0, rgbAt(grid, 2 + 2 * 8 + 3, 2 + 6 + 2), "the unused sixth cell stays black");
        // Fewer images than nrow: as many columns as images.
        assertEquals(2 * 8 + 2, ImageGrid.grid(numberedGreyImages(2, 4, 6), 8).getWidth());
    }

    @Test
    void mapsValuesLikeSaveImageAndKeepsChannelOrder() {
        INDArray grey = Nd4j.createFromArray(new float[]{0.5f, 1.2f, -0.3f, Float.NaN, 0.001f, 0.999f})
                .reshape(1, 1, 1, 6);
        BufferedImage g = ImageGrid.grid(grey, 1, 0, 1);
        int[] expected = {grey(0.5), grey(1), 0, 0, 0, grey(1)}; // 0.001·255+0.5 < 1; 0.999·255+0.5 ≥ 255
        for (int x = 0; x < 6; x++) {
            assertEquals(expected[x], rgbAt(g, x, 0), "pixel " + x);
        }
        INDArray rgb = Nd4j.createFromArray(new double[]{1, 0.5, 0}).reshape(1, 3, 1, 1);
        assertEquals(0xFF8000, rgbAt(ImageGrid.grid(rgb, 1, 0, 1), 0, 0));
    }

    @Test
    void scalesTheWholeGridByPixelRepetition() {
        INDArray images = numberedGreyImages(3, 4, 5);
        BufferedImage small = ImageGrid.grid(images, 2, 1, 1);
        BufferedImage large = ImageGrid.grid(images, 2, 1, 3);
        assertEquals(3 * small.getWidth(), large.getWidth());
        assertEquals(3 * small.getHeight(), large.getHeight());
        for (int y = 0; y < large.getHeight(); y++) {
            for (int x = 0; x < large.getWidth(); x++) {
                assertEquals(rgbAt(small, x / 3, y / 3), rgbAt(large, x, y), "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void drawsViewsTheSameAsPackedArrays() {
        INDArray packed = Nd4j.rand(DataType.DOUBLE, 4, 3, 5, 7);
        INDArray view = packed.permute(0, 2, 3, 1).dup('c').permute(0, 3, 1, 2);
        BufferedImage a = ImageGrid.grid(packed, 2, 2, 1);
        BufferedImage b = ImageGrid.grid(view, 2, 2, 1);
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                assertEquals(a.getRGB(x, y), b.getRGB(x, y));
            }
        }
    }

    @Test
    void sideBySidePutsEachReconstructionUnderItsOriginal() {
        INDArray originals = numberedGreyImages(5, 3, 3);
        INDArray reconstructions = originals.mul(0.5);
        BufferedImage pair = ImageGrid.sideBySide(originals, reconstructions, 3, 1, 1);
        assertEquals(3 * 4 + 1, pair.getWidth());
        assertEquals(4 * 4 + 1, pair.getHeight()); // 2 row pairs
        for (int k = 0; k < 5; k++) {
            int left = 1 + (k % 3) * 4;
            int originalTop = 1 + 2 * (k / 3) * 4;
            assertEquals(grey((k + 1) / 10.0), rgbAt(pair, left + 1, originalTop + 1), "original " + k);
            assertEquals(grey((k + 1) / 20.0), rgbAt(pair, left + 1, originalTop + 4 + 1), "reconstruction " + k);
        }
    }

    @Test
    void rowLabelsWidenThePictureAndDrawText() {
        INDArray images = numberedGreyImages(6, 28, 28);
        BufferedImage plain = ImageGrid.grid(images, 3, 2, 1);
        BufferedImage labelled = ImageGrid.gridWithRowLabels(images, 3, 2, 1, List.of("class 0", "class 1"));
        int margin = labelled.getWidth() - plain.getWidth();
        assertTrue(margin > 20, "margin " + margin);
        assertEquals(plain.getHeight(), labelled.getHeight());
        assertEquals(plain.getRGB(5, 5), labelled.getRGB(margin + 5, 5), "the grid is drawn right of the margin");
        int lightPixels = 0;
        for (int y = 0; y < labelled.getHeight(); y++) {
            for (int x = 0; x < margin; x++) {
                lightPixels += (labelled.getRGB(x, y) & 0xFF) > 128 ? 1 : 0;
            }
        }
        assertTrue(lightPixels > 20, "label text should be visible, found " + lightPixels + " light pixels");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.gridWithRowLabels(images, 3, 2, 1, List.of("only one")));
        assertTrue(e.getMessage().contains("2 rows"), e.getMessage());
    }

    @Test
    void rejectsBadInputWithClearMessages() {
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.grid(Nd4j.zeros(1, 28, 28), 8));
        assertTrue(rank.getMessage().contains("[N,C,H,W]"), rank.getMessage());
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.grid(Nd4j.zeros(2, 2, 8, 8), 8));
        assertTrue(channels.getMessage().contains("1 (grey) or 3 (RGB)"), channels.getMessage());
        IllegalArgumentException nrow = assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.grid(Nd4j.zeros(2, 1, 8, 8), 0));
        assertTrue(nrow.getMessage().contains("nrow"), nrow.getMessage());
        IllegalArgumentException ints = assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.grid(Nd4j.zeros(DataType.INT, 2, 1, 8, 8), 2));
        assertTrue(ints.getMessage().contains("floating-point"), ints.getMessage());
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.sideBySide(Nd4j.zeros(2, 1, 8, 8), Nd4j.zeros(3, 1, 8, 8), 2, 2, 1));
        assertTrue(mismatch.getMessage().contains("same shape"), mismatch.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.grid(Nd4j.zeros(2, 1, 8, 8), 2, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.grid(Nd4j.zeros(2, 1, 8, 8), 2, 2, 0));
    }

    @Test
    void savesAPngAtomically() throws IOException {
        BufferedImage grid = ImageGrid.grid(Nd4j.rand(DataType.FLOAT, 4, 3, 6, 6), 2, 2, 2);
        Path file = dir.resolve("out/sub/grid.png"); // parents are created
        ImageGrid.savePng(grid, file);
        ImageGrid.savePng(grid, file); // and an existing file is replaced
        BufferedImage back = ImageIO.read(file.toFile());
        assertEquals(grid.getWidth(), back.getWidth());
        for (int y = 0; y < grid.getHeight(); y++) {
            for (int x = 0; x < grid.getWidth(); x++) {
                assertEquals(grid.getRGB(x, y), back.getRGB(x, y));
            }
        }
        try (var listing = Files.list(file.getParent())) {
            assertEquals(List.of(file), listing.toList(), "no temporary files left behind");
        }
    }
}
